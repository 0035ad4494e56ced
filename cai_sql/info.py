"""`cai info`: which storage version new files get, and what a database file is — so a user can tell
before pointing a BI tool at it whether that tool's DuckDB can open it."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .database import StorageSetting, connect, file_storage_version, newer_than, storage_setting, table_exists
from .sqlfiles import sql_text


@dataclass(frozen=True)
class DatabaseInfo:
    path: Path
    setting: StorageSetting
    exists: bool
    storage_version: str | None = None
    size_bytes: int = 0
    tables: int = 0
    views: int = 0
    macros: int = 0
    published_at: dt.datetime | None = None
    published_from: str | None = None

    @property
    def readable_by_setting(self) -> bool:
        """Whether clients that read the setting's storage version can open this file."""
        return self.exists and not newer_than(self.storage_version, self.setting.version)

    def lines(self) -> list[str]:
        if not self.exists:
            return [f"database {self.path}: does not exist yet; cai-sql creates it with storage version {self.setting.version}"]
        text = [f"database {self.path}: storage version {self.storage_version} (DuckDB {self.storage_version} or newer opens it), "
                f"{self.size_bytes / 1e6:,.1f} MB, {self.tables} tables, {self.views} views, {self.macros} macros"]
        if self.published_at is not None:
            text.append(f"published copy of {self.published_from} at {self.published_at:%Y-%m-%d %H:%M:%S} UTC (read-only for BI tools)")
        if not self.readable_by_setting:
            text.append(f"newer than the setting {self.setting.version}: BI clients on an older DuckDB cannot open this file; "
                        f"give them a copy: cai publish --db {self.path} --to PATH")
        return text


def database_info(db: str | os.PathLike) -> DatabaseInfo:
    """Describe a database file without changing it (opened read-only, whatever its storage version)."""
    path, setting = Path(db), storage_setting()
    if not path.exists():
        return DatabaseInfo(path=path, setting=setting, exists=False)
    con = connect(path, read_only=True, storage_version="latest")
    try:
        tables, views, macros = con.execute(sql_text("database_objects")).fetchall()[0]
        published_at = published_from = None
        if table_exists(con, "cai_published"):
            published_at, published_from, _ = con.execute(sql_text("published_stamp")).fetchall()[0]
        version = file_storage_version(con)
    finally:
        con.close()
    return DatabaseInfo(path=path, setting=setting, exists=True, storage_version=version, size_bytes=path.stat().st_size,
                        tables=tables, views=views, macros=macros, published_at=published_at, published_from=published_from)
