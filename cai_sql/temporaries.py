"""Temporary files beside a target (a publish's copy), and removing those whose process died.

A publish killed mid-copy (kill -9, a crash, a reboot) leaves its temporary file behind: 42 and 74 MB
were seen. Each owner holds an exclusive ``flock`` on a lock file beside its temporary file while it
runs; the kernel drops the lock when the process dies, so the next publish removes every temporary
file whose lock it can take and leaves those of an owner still running (a pid alone could be reused,
and says nothing about another host).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import CaiError

TEMPORARY_SUFFIX = ".publishing"  # a temporary copy is .<target name>.<pid>-<random>.publishing (+ .wal, .lock)
_LEGACY_PID = re.compile(r"\.(\d+)-[0-9a-f]+\.publishing$")


@contextlib.contextmanager
def claimed_temporary(target: Path) -> Iterator[Path]:
    """A new temporary path beside ``target``, locked (flock on ``<temporary>.lock``) until the block ends.

    The lock file exists, locked, before the temporary file does, and is removed after it, so a
    temporary file with an unlocked lock file belongs to a dead process.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
    lock = Path(f"{temporary}.lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise CaiError(f"could not publish to {target}: cannot create {lock} ({exc}); {target} is unchanged") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield temporary
    finally:
        for leftover in (temporary, Path(f"{temporary}.wal"), lock):
            leftover.unlink(missing_ok=True)
        os.close(fd)


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files (and their .wal and .lock) that dead publishes to ``target`` left; return them.

    A temporary file is stale when its lock file can be locked (its owner is gone). A temporary file
    without a lock file was written by a cai-sql from before the locks: it is stale when no process
    has the pid in its name (on this host; the name carries no host, so a live one elsewhere is kept
    only if its pid happens to run here too).
    """
    pattern = f".{glob.escape(target.name)}.*{TEMPORARY_SUFFIX}"
    names = {Path(str(p)[:str(p).rindex(TEMPORARY_SUFFIX) + len(TEMPORARY_SUFFIX)])
             for p in target.parent.glob(pattern + "*")}
    removed = []
    for temporary in sorted(names):
        lock = Path(f"{temporary}.lock")
        if lock.exists():
            with _unlocked(lock) as free:
                if free and _remove_files(temporary, Path(f"{temporary}.wal"), lock):
                    removed.append(temporary)
        elif (legacy := _LEGACY_PID.search(temporary.name)) and not _running(int(legacy.group(1))):
            if _remove_files(temporary, Path(f"{temporary}.wal")):
                removed.append(temporary)
    return removed


@contextlib.contextmanager
def _unlocked(lock: Path) -> Iterator[bool]:
    """Whether this process could take ``lock`` (its owner is gone); the lock is held for the block."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:  # removed meanwhile: its owner finished, or another publish cleaned it
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False  # held: the publisher is alive
            return
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino  # not a lock file replaced since it was opened
        except OSError:
            same = False
        yield same
    finally:
        os.close(fd)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove_files(*paths: Path) -> bool:
    """Remove what exists of ``paths``; whether any was (best effort: a file that cannot be removed does not
    stop a publish)."""
    removed = False
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
            removed = True
    return removed
