"""Safe file writes: a file appears whole, or not at all, even if the process dies halfway; a full
disk is reported in words (`DiskFull`); what a killed process left half-written is found and
removed (`remove_leftovers`); and any name made safe to name a file or folder with (`slug`)."""
from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from cnnlib.words import Message

# errno values that mean "nothing more can be written here", whatever is being saved: what the disk
# is, and what the teacher can do about it (keys of cnnlib.words)
FULL = {errno.ENOSPC: ("disk.is_full", "disk.fix_space"),
        errno.EDQUOT: ("disk.over_quota", "disk.fix_space"),
        errno.EROFS: ("disk.read_only", "disk.fix_writable")}
ASK_TEACHER = "disk.ask_teacher"      # the advice a DiskFull gives by default: a key whose sentence has {fix}
STALE_SECONDS = 600          # a leftover older than this is removed even if its process seems alive
_STARTED = time.time()       # this process's start, near enough: a leftover from before is not ours


class DiskFull(OSError):
    """The server's disk is full (or over its quota, or read-only): `what` (words, or a file's name)
    could not be saved. `message` says so for the user, with the advice (a key of cnnlib.words whose
    sentence has {fix}) filled in; str() is its English; errno is the system's."""

    def __init__(self, what: str, code: int = errno.ENOSPC, advice: str = ASK_TEACHER):
        super().__init__(code, os.strerror(code))
        self.what, self.advice = what, advice

    @property
    def message(self) -> Message:
        state, fix = FULL.get(self.errno, FULL[errno.ENOSPC])
        return Message("disk.full", state=Message(state), what=self.what,
                       advice=Message(self.advice, fix=Message(fix)))

    def __str__(self) -> str:
        return str(self.message)


def slug(text: str) -> str:
    """`text` as a file or folder name: letters, digits, "_", "." and "-" only, at most 60 of them ("run" if none)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "run"


def is_disk_full(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in FULL


@contextmanager
def saving(what: str, advice: str = ASK_TEACHER) -> Iterator[None]:
    """Turn a full disk met while saving `what` (words for the user: Message("what.this_run"), a file's
    name) into DiskFull; other errors pass unchanged. The outermost `saving` names what is lost."""
    try:
        yield
    except OSError as e:
        if is_disk_full(e):
            raise DiskFull(what, e.errno, advice) from e
        raise


def temporary_name(path: Path) -> Path:
    """A hidden temporary file beside `path`, unique to this process, thread and call: writers of
    the same file at once (two sessions uploading one zip) never share one."""
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}.tmp")


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk; best effort, as not every system can."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write `data` (bytes, or a function that writes into the open file, e.g. a torch.save) to a
    temporary file beside `path`, flush it to disk, then rename it over `path`. A failed write
    leaves neither a half file nor a stray temporary one; a full disk raises DiskFull. Of several
    writers of one path at once, the last to finish wins, and a reader always sees a whole file."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        with saving(path.name):
            with open(tmp, "wb") as f:
                if callable(data):
                    data(f)
                else:
                    f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


# --- what a killed process left behind -------------------------------------------------------------

# .<name>.<pid>-<thread>-<random>.tmp (atomic_write), .<name>.<pid>.tmp (older versions), and
# .partial-<name>-<pid>-<random> (a run folder being written: checkpoints.save_run)
_TMP = re.compile(r"\..+\.(\d+)(?:-\d+-[0-9a-f]+)?\.tmp")
_PARTIAL = re.compile(r"\.partial-.*-(\d+)-[0-9a-f]+")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # someone else's process, or a system that cannot tell
        return True
    return True


def is_leftover(entry: Path, now: float | None = None) -> bool:
    """Whether `entry` is a temporary file or partial run folder whose writer is gone: its process
    has ended, it predates this process although it names our id (a restart that got the same id),
    or it is older than STALE_SECONDS (no save takes that long)."""
    m = _TMP.fullmatch(entry.name) or _PARTIAL.fullmatch(entry.name)
    if not m:
        return False
    try:
        mtime = entry.lstat().st_mtime
    except OSError:
        return False
    if (now or time.time()) - mtime > STALE_SECONDS:
        return True
    pid = int(m.group(1))
    if pid == os.getpid():
        return mtime < _STARTED - 1   # a second's slack: file times lag the clock by a tick
    return not _alive(pid)


def remove(entry: Path) -> None:
    """Delete a file or a folder tree, whichever it is; gone already is fine."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def remove_leftovers(folder: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove the temporary files and partial folders in `folder` that no running save will finish
    (`is_leftover`); returns what was removed. One listing of the folder: cheap enough to call often."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        p = Path(e.path)
        if is_leftover(p, now):
            remove(p)
            removed.append(p)
    return removed
