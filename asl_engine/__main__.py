"""The `asl-engine` command: `serve` runs the API server, `validate` checks definitions.

`serve` binds 127.0.0.1 by default: an emulator with no authentication should not be reachable
from the network unless someone asks for it (the Docker image asks for 0.0.0.0 inside its
container, where the port mapping decides who can reach it).
"""

from __future__ import annotations

import argparse
import logging
import sys

from .config import Config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8083


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["validate"]:
        from .validate import validate_command  # lazy: `serve` must not pay for the validator

        return validate_command(argv[1:])
    args = _parser().parse_args(argv)
    if args.command != "serve":
        _parser().print_help()
        return 2
    return serve(args.host, args.port, args.db)


def serve(host: str, port: int, db: str | None) -> int:
    import uvicorn

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = Config.from_env(db_path=db)
    # uvloop and httptools (when installed, as pyproject asks) make each request cheaper; the
    # virtual clock tells "everything is waiting" by asyncio's own ready queue, so it keeps
    # asyncio's loop.
    loop = "asyncio" if config.clock == "virtual" else "auto"
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False, loop=loop)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asl-engine", description="AWS Step Functions on your own machine")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the Step Functions API server")
    serve_parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to bind (default {DEFAULT_HOST})")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve_parser.add_argument(
        "--db", default=None, help="SQLite file (default $ASL_ENGINE_DB or ./asl-engine.db)"
    )
    commands.add_parser("validate", help="validate state machine definitions (see `validate --help`)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
