"""Writing files users open: all or nothing, with the permissions any new file of theirs gets."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    """The process umask, read without changing it where Linux reports it (os.umask alone must set one)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


@contextlib.contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; on success it replaces ``target`` in one rename.

    A reader sees the old file or the new one, never half of one; on failure nothing is left behind.
    ``mkstemp`` makes the file private (0600), so it gets the mode ``open`` would have given it.
    """
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent.resolve())
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
