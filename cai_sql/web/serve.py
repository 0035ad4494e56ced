"""Running the dashboard: uvicorn on a local address, announcing the URL once it listens."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from ..errors import CaiError
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


def host_names(host: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The names a request may address when the server listens on ``host``: the address itself, and for a
    wildcard address this machine's names; never any name (that would let DNS rebinding in)."""
    if host in LOCAL_HOSTS:
        return list(extra)
    names = [host, f"[{host}]" if ":" in host else host]
    if host in ("0.0.0.0", "::", ""):
        names += [socket.gethostname(), socket.getfqdn()]
    return [*dict.fromkeys([*names, *extra])]


def serve(db: str | Path, *, host: str = "127.0.0.1", port: int = 8765, allowed_hosts: tuple[str, ...] = (),
          announce: Callable[[str], None] = print) -> None:
    """Serve the dashboard of ``db`` until interrupted."""
    sock = listening_socket(host, port)
    app = create_app(db, allowed_hosts=host_names(host, allowed_hosts))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    _Server(config, announce).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the server listens on, bound here (as uvicorn would) so a busy port is a plain error."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CaiError(f"port {port} on {host} is already in use (another cai serve?); choose another with "
                           "--port N, or --port 0 for any free port") from None
        raise CaiError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock
