"""One error family, so the CLI can tell a user's mistake from a bug in cai-sql."""


class CaiError(Exception):
    """A problem the user can fix: the message says what is wrong and how to fix it."""


class InputError(CaiError):
    """Input data (a file, a mapping, a column) is missing, malformed or inconsistent."""
