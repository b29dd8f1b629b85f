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
FILE_MODE = 0o666 & ~_umask()
DIR_MODE = 0o777 & ~_umask()

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


def cache_dir() -> Path:
    """WAVE's cache folder: ``$WAVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/wave``, else ``~/.cache/wave`` (sound
    library indexes, builtin timbre models made at other sample rates). Not created here."""
    env = os.environ.get("WAVE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "wave"


def os_reason(exc: OSError) -> str:
    """What went wrong, in the system's words (``strerror``, else the exception's text)."""
    return exc.strerror or str(exc)


def _nearest_existing(folder: Path) -> Path:
    p = folder
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_folder(folder: Path, dest: Path) -> None:
    """Create and remove one private temporary file in ``folder``: the only proof that it takes files
    (``os.access`` says yes to root on /proc and on read-only mounts)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: folder {folder} does not take new files ({os_reason(exc)}); "
                          "choose an output in a folder you can write to") from exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def check_output(dest: str | os.PathLike[str], *, kind: str = "file") -> Path:
    """Check, before any work, that ``dest`` can be written as a ``kind`` ("file" or "folder").

    Touches nothing: the target is neither created nor removed, and no missing parent folder is made
    (only probed through its nearest existing ancestor). Raises :class:`OutputError` naming the path
    and what would work. Returns ``dest`` as a :class:`Path`.
    """
    dest = Path(dest)
    if str(dest) in ("", "."):
        raise OutputError(f"output path {str(dest)!r} is empty; give a {kind} name such as out/result")
    try:
        if kind == "file" and dest.is_dir():
            raise OutputError(f"cannot write {dest}: it is an existing folder; give a file name inside it, "
                              f"e.g. {dest / 'out'}{'' if dest.suffix else '.wav'}")
        if kind == "folder" and dest.exists() and not dest.is_dir():
            raise OutputError(f"cannot write folder {dest}: a file of that name exists; "
                              "remove it or choose another folder")
        parent = dest.parent if str(dest.parent) else Path(".")
        anc = _nearest_existing(parent)
        if not anc.is_dir():
            raise OutputError(f"cannot write {dest}: {anc} is a file, not a folder")
        if anc != parent and not os.access(anc, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write {dest}: folder {parent} is missing and {anc} is not writable")
        _probe_folder(anc, dest)
    except OutputError:
        raise
    except OSError as exc:  # ENAMETOOLONG, ELOOP, EACCES on a path component ...
        raise OutputError(f"cannot write {dest}: {os_reason(exc)}") from exc
    return dest


def _check_writable_dir(dest: Path) -> Path:
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        if not parent.exists():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create folder {parent} for {dest.name}: {os_reason(exc)}") from exc
        if not parent.is_dir():
            raise OutputError(f"cannot write {dest}: {parent} is not a folder")
        if not os.access(parent, os.W_OK):
            raise OutputError(f"cannot write {dest}: folder {parent} is not writable")
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: {os_reason(exc)}") from exc
    return parent


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file path beside ``dest``; rename it onto ``dest`` only if the block succeeds.

    The temporary name keeps ``dest``'s suffix (or ``suffix``) so libraries that pick a format by
    extension still work.
    """
    dest = Path(dest)
    if dest.is_dir():
        raise OutputError(f"cannot write {dest}: it is an existing folder; give a file name inside it")
    parent = _check_writable_dir(dest)
    sfx = suffix if suffix is not None else dest.suffix
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".part{sfx}", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: folder {parent} does not take new files "
                          f"({os_reason(exc)})") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, FILE_MODE)
        try:
            os.replace(tmp_path, dest)
        except OSError as exc:
            raise OutputError(f"cannot write {dest}: {os_reason(exc)}") from exc
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
    if dest.exists() and not dest.is_dir():
        raise OutputError(f"cannot write folder {dest}: a file of that name exists; remove it or choose another")
    parent = _check_writable_dir(dest)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: folder {parent} does not take new folders "
                          f"({os_reason(exc)})") from exc
    try:
        yield tmp
        os.chmod(tmp, DIR_MODE)
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
