"""One error family, so the CLI can tell a user's mistake from a bug in cai-sql."""


class CaiError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it."""


class InputError(CaiError):
    """Input data (a file, a mapping, a column) is missing, malformed or inconsistent."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C after part of the work was committed; ``written`` says what was kept."""

    def __init__(self, written: str):
        super().__init__(written)
        self.written = written


def interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` is, or arose from, Ctrl-C: Python raises KeyboardInterrupt, while DuckDB ends the query it
    was running with ``RuntimeError('Query interrupted')`` (or its InterruptException), which code on the way
    may have wrapped in another error."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "InterruptException"
                or (isinstance(exc, RuntimeError) and str(exc) == "Query interrupted")):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
