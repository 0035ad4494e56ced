"""Reading the TOML files users write (specs, column mappings) with one kind of error."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import CaiError


def read_toml(path: str | Path, kind: str, error: type[CaiError]) -> dict:
    """The parsed document, or ``error`` saying the ``kind`` file is missing or malformed."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{kind} file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{kind} file {path} is not valid TOML: {exc}") from None
