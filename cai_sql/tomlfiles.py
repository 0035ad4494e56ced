"""Reading the TOML files users write (specs, column mappings) with one kind of error."""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path

from .errors import CaiError


def read_toml(path: str | Path, kind: str, error: type[CaiError]) -> dict:
    """The parsed document, or ``error`` saying the ``kind`` file is missing or malformed. A UTF-8 byte order
    mark (Windows editors write one) is skipped; TOML itself allows only UTF-8."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{kind} file {path} does not exist") from None
    except OSError as exc:
        raise error(f"cannot read {kind} file {path}: {exc.strerror or exc}") from None
    data = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{kind} file {path} is not UTF-8 text (byte {exc.start + len(raw) - len(data):,} is {data[exc.start]:#04x}); "
                    "save it as UTF-8 and try again") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{kind} file {path} is not valid TOML: {exc}") from None
