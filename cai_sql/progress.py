"""Progress reporting for long operations: the library reports, the CLI decides how to show it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Advance = Callable[[int, int], None]


class Reporter:
    """Receives named steps and their progress; this base class shows nothing."""

    @contextlib.contextmanager
    def step(self, title: str, total: int | None = None) -> Iterator[Advance]:
        yield lambda done, total: None

    def note(self, message: str) -> None:
        """A remark worth showing (e.g. a quality warning)."""
