"""Running the dashboard: uvicorn on a local address, announcing the URL once it listens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import uvicorn

from .app import LOCAL_HOSTS, create_app


class _Server(uvicorn.Server):
    """A uvicorn server that says where it listens (the real port, also when asked for port 0)."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[str], None]):
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                self._announce(f"http://{shown}:{port}/")
                return


def serve(db: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          announce: Callable[[str], None] = print) -> None:
    """Serve the dashboard of ``db`` until interrupted."""
    hosts = None if host in LOCAL_HOSTS else [*LOCAL_HOSTS, host, "*"]
    app = create_app(db, allowed_hosts=hosts)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    _Server(config, announce).run()
