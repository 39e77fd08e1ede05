"""A real asl-engine server in a background thread (shipped in asl_engine.testing), and free ports."""

from __future__ import annotations

import socket

from asl_engine.testing.server import ServerThread

__all__ = ["ServerThread", "free_port"]


def free_port() -> int:
    """A port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
