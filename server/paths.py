"""Where WAVE finds its folders and default assets, and atomic writes.

Every finished artefact is written to a temporary path beside its destination and renamed into
place, so a crash or a bad input never leaves a half-written file where a finished one is expected.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import MissingDependencyError, OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp/mkdtemp make private (0600/0700) temporaries; finished results get the usual permissions.
_FILE_MODE = 0o666 & ~_umask()
_DIR_MODE = 0o777 & ~_umask()

REPO_ROOT = Path(__file__).resolve().parent.parent
MIDI_DIR = REPO_ROOT / "midi"
INSTRUMENTS_DIR = REPO_ROOT / "instruments"
SFZ_DIR = REPO_ROOT / "sfz_out"

# General MIDI soundfonts in the order we prefer them (small first: fast to load, enough for GM).
GM_SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
    "/usr/local/share/soundfonts/default.sf2",
)


def default_soundfont() -> Path:
    """Return the General MIDI soundfont used when none is given.

    ``$WAVE_SOUNDFONT`` wins; then Debian's TimGM6mb/FluidR3; then the copy of TimGM6mb that
    pretty_midi's wheel carries.
    """
    env = os.environ.get("WAVE_SOUNDFONT")
    if env:
        return Path(env)
    for cand in GM_SOUNDFONT_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    # Located without importing pretty_midi: its import loads pyfluidsynth, which may print to stdout.
    spec = importlib.util.find_spec("pretty_midi")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "TimGM6mb.sf2"
        if bundled.is_file():
            return bundled
    raise MissingDependencyError(
        "no General MIDI soundfont found; install one (Debian: apt-get install timgm6mb-soundfont, "
        "macOS: brew install fluid-synth and a .sf2) or pass --soundfont FILE.sf2 / set WAVE_SOUNDFONT"
    )


def _check_writable_dir(dest: Path) -> Path:
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create folder {parent} for {dest.name}: {exc.strerror}") from exc
    if not parent.is_dir():
        raise OutputError(f"cannot write {dest}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {dest}: folder {parent} is not writable")
    return parent


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file path beside ``dest``; rename it onto ``dest`` only if the block succeeds.

    The temporary name keeps ``dest``'s suffix (or ``suffix``) so libraries that pick a format by
    extension still work.
    """
    dest = Path(dest)
    parent = _check_writable_dir(dest)
    sfx = suffix if suffix is not None else dest.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".part{sfx}", dir=parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, _FILE_MODE)
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_dir(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; it replaces ``dest`` only when the block succeeds.

    An existing ``dest`` is swapped out and removed after the new one is in place.
    """
    dest = Path(dest)
    parent = _check_writable_dir(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=parent))
    try:
        yield tmp
        os.chmod(tmp, _DIR_MODE)
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=parent))
            os.replace(dest, old / dest.name)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
