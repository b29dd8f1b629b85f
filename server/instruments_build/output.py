"""Where a build writes, checked before any work, and replaced as one unit.

An instrument is its SFZ folder (``NAME/`` with the .sfz files, samples and build.json) and its SF2
file. :func:`check_outputs` validates both destinations before the audio is read
(``server.paths.check_output``: nothing is created or removed). :func:`replace_together` yields a
private temporary folder and file beside the destinations; when the block succeeds both are renamed
into place, and if the second rename fails the first is undone, so the old SFZ folder and the old
SF2 stay together (an instrument is never half replaced). A failed block leaves no temporary files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..paths import DIR_MODE, FILE_MODE, check_output
from ..paths import os_reason as _reason

log = logging.getLogger(__name__)


def check_outputs(sfz_dest: Path | None, sf2_dest: Path | None) -> None:
    """Check, before any work, that the SFZ folder and the SF2 file can be written (touches nothing)."""
    if sfz_dest is not None:
        check_output(sfz_dest, kind="folder")
    if sf2_dest is not None:
        if sf2_dest.exists() and sf2_dest.is_dir():
            raise OutputError(
                f"cannot write {sf2_dest}: a folder of that name exists; remove it or choose "
                "another --sf2-dir or --name"
            )
        check_output(sf2_dest, kind="file")


@dataclass
class Staged:
    sfz: Path | None  # temporary folder to fill (becomes sfz_dest)
    sf2: Path | None  # temporary file to write (becomes sf2_dest)


def _make_parent(dest: Path) -> Path:
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {parent} for {dest.name}: {_reason(exc)}") from exc
    return parent


@contextlib.contextmanager
def replace_together(sfz_dest: Path | None, sf2_dest: Path | None) -> Iterator[Staged]:
    """Yield temporary paths for an instrument's SFZ folder and SF2; put both in place, or neither."""
    staged = Staged(None, None)
    try:
        if sfz_dest is not None:
            parent = _make_parent(sfz_dest)
            try:
                staged.sfz = Path(tempfile.mkdtemp(prefix=f".{sfz_dest.name}.", suffix=".part", dir=parent))
            except OSError as exc:
                raise OutputError(
                    f"cannot write {sfz_dest}: folder {parent} does not take new folders ({_reason(exc)})"
                ) from exc
        if sf2_dest is not None:
            parent = _make_parent(sf2_dest)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{sf2_dest.stem}.", suffix=".part.sf2", dir=parent)
            except OSError as exc:
                raise OutputError(
                    f"cannot write {sf2_dest}: folder {parent} does not take new files ({_reason(exc)})"
                ) from exc
            os.close(fd)
            staged.sf2 = Path(tmp)
        yield staged
        _commit(staged, sfz_dest, sf2_dest)
    finally:
        if staged.sfz is not None and staged.sfz.exists():
            shutil.rmtree(staged.sfz, ignore_errors=True)
        if staged.sf2 is not None:
            with contextlib.suppress(OSError):
                staged.sf2.unlink()


def _commit(staged: Staged, sfz_dest: Path | None, sf2_dest: Path | None) -> None:
    old: Path | None = None  # the previous SFZ folder, kept aside until the SF2 is in place
    sfz_moved = False
    current = sfz_dest
    try:
        if staged.sfz is not None and sfz_dest is not None:
            os.chmod(staged.sfz, DIR_MODE)
            if sfz_dest.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{sfz_dest.name}.", suffix=".old", dir=sfz_dest.parent))
                os.replace(sfz_dest, old / sfz_dest.name)
            os.replace(staged.sfz, sfz_dest)
            sfz_moved = True
        if staged.sf2 is not None and sf2_dest is not None:
            current = sf2_dest
            os.chmod(staged.sf2, FILE_MODE)
            os.replace(staged.sf2, sf2_dest)
    except OSError as exc:
        kept = _rollback(sfz_dest, old, sfz_moved)
        raise OutputError(
            f"cannot write {current}: {_reason(exc)}; "
            + ("the previous instrument is kept as it was" if kept else "nothing was replaced")
        ) from exc
    except BaseException:  # interrupted between the renames: undo, then let it through
        _rollback(sfz_dest, old, sfz_moved)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _rollback(sfz_dest: Path | None, old: Path | None, sfz_moved: bool) -> bool:
    """Undo a half-done commit: remove the new SFZ folder and put the old one back."""
    if sfz_dest is None:
        return False
    if sfz_moved:
        shutil.rmtree(sfz_dest, ignore_errors=True)
    if old is None:
        return False
    try:
        os.replace(old / sfz_dest.name, sfz_dest)
    except OSError as exc:  # pragma: no cover - the folder we just moved cannot move back
        log.error("could not restore the previous %s (it is in %s): %s", sfz_dest, old, _reason(exc))
        return False
    shutil.rmtree(old, ignore_errors=True)
    return True
