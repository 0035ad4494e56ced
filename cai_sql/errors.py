"""One error family, so the CLI can tell a user's mistake from a bug in cai-sql."""


ECHO_LIMIT = 80  # characters of user input an error message repeats whole
ECHO_HEAD = 60  # characters kept of longer input


def shorten(text: object, limit: int = ECHO_LIMIT) -> str:
    """``text`` as an error message may echo it: whole up to ``limit`` characters, else its start, '…' and its
    length, so a 100 KB id or predicate gives a readable line instead of a 100 KB one."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:min(ECHO_HEAD, limit)]}… ({len(text):,} characters)"


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
