"""Loopback ports the demo listens on: a check, made before anything starts, that one is usable.

Standard library only: ``guardpost demo`` checks ``--port`` before it loads the stack.
"""

from __future__ import annotations

import socket

from protocol.errors import ConfigError


def check_port(port: int, service: str, fix: str, host: str = "127.0.0.1") -> None:
    """Raise ConfigError when ``host:port`` cannot be listened on: out of range, in use, or privileged."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"端口无效 / port {port} of the {service} is not in 1-65535: {fix}")
    with socket.socket() as sock:
        # As uvicorn and amqtt bind: connections of an earlier run in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"端口不可用 / port {port} of the {service} cannot be used ({exc.strerror}): {fix}"
            ) from exc


def check_api_port(port: int) -> None:
    """The demo's dashboard and API port, ``guardpost demo --port``."""
    check_port(port, "dashboard and API", "stop what listens there, or choose another with --port N")
