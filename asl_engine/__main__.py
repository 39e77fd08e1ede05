"""The `asl-engine` command: `serve` runs the API server, `run` runs one execution in process,
`validate` checks definitions.

`serve` checks its whole configuration before it listens (asl_engine.startup) and refuses a
mistake with one line and exit status 2; once the socket is bound it prints one line saying where
it listens and what it loaded. It binds 127.0.0.1 by default: an emulator with no authentication
should not be reachable from the network unless someone asks for it (the Docker image asks for
0.0.0.0 inside its container, where the port mapping decides who can reach it).

Modules named by `ASL_LAMBDA_HANDLERS` are imported from the current directory too, as
`python -m` would, whichever way the command was started.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from dataclasses import replace
from typing import Any, Callable

from .config import CLOCKS, Config
from .tasks.config import names_list
from .version import VERSION

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8083
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
EXIT_CONFIG = 2
EXIT_DATABASE = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE (13): a shell's status for a process that SIGPIPE ended
SKIP_DB_CHECK = "ASL_ENGINE_SKIP_DB_CHECK"


def main(argv: list[str] | None = None) -> int:
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["validate"]:
        from .validate import validate_command  # lazy: `serve` must not pay for the validator

        return _report(lambda: validate_command(argv[1:]))
    parser = _parser()
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if args.command == "serve":
        if from_command_line:  # not when called in process: it would replace the caller
            from .allocator import use_system_malloc

            use_system_malloc()  # starts this command again on the system's malloc (see allocator)
        return serve(args)
    if args.command == "run":
        from .run_command import run_command

        return _report(lambda: run_command(args))
    parser.print_help()
    return EXIT_CONFIG


def _report(command: Callable[[], int]) -> int:
    """Run a command that prints a report. A reader that stops early (`| head`) ends it quietly
    with SIGPIPE's status, as other command-line tools end, instead of a BrokenPipeError
    traceback (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        status = command()
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # What is left in stdout's buffer goes nowhere, so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def serve(args: argparse.Namespace) -> int:
    # --log-level is asl-engine's own (debug: one line per request); other libraries stay at WARNING,
    # or aiosqlite's every statement and botocore's set-up would bury those lines.
    level = getattr(logging, args.log_level.upper())
    logging.basicConfig(level=max(level, logging.WARNING), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("asl_engine").setLevel(level)
    try:
        from .startup import check

        config = Config.from_env(db_path=args.db, clock=args.clock and args.clock.strip().lower(),
                                 allowed_hosts=names_list(args.allowed_hosts) if args.allowed_hosts else None)
        config = replace(config, allowed_hosts=(*config.allowed_hosts, args.host))  # the bind address too
        loaded = check(config)
    except ValueError as exc:  # ConfigError, or a setting parsed where it is read
        print(f"asl-engine: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from .store.check import check_database, hold_database
    from .store.errors import DatabaseUnusable
    from .store.postgres import PostgresStore, is_url, redact
    from .store.sqlite import SqliteStore

    store: PostgresStore | None = None
    try:  # a damaged, unwritable or busy file (an unreachable server) stops here, not half-way through start-up
        if is_url(config.db_path):
            store = PostgresStore(config.db_path)  # its settings (pool, lease) are checked here
            store.connect()  # an unreachable database stops `serve` here, before it listens
        else:
            check_database(config.db_path, quick_check=not (args.skip_db_check or os.environ.get(SKIP_DB_CHECK)))
            lock = hold_database(config.db_path)  # noqa: F841  # held until the process ends
            asyncio.run(SqliteStore.try_open(config.db_path))  # its schema upgraded, or why not
    except DatabaseUnusable as exc:
        print(f"asl-engine: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:  # Ctrl-C while connecting
        return EXIT_INTERRUPTED

    import uvicorn

    from asl_engine.api.app import create_app
    from asl_engine.api.http_protocol import OneWriteProtocol

    from .service.reclaim import settle_heap

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # bound: only now is the address true (and --port 0 known)
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                print(f"asl-engine {VERSION} ready on http://{host}:{port}: database {redact(config.db_path)}, "
                      f"account {config.account_id}, region {config.region}, {loaded.describe()}", flush=True)

    # uvloop and httptools (when installed, as pyproject asks) make each request cheaper; the
    # virtual clock tells "everything is waiting" by asyncio's own ready queue, so it keeps
    # asyncio's loop. No X-Forwarded-* rewriting of the client address or scheme: nothing reads
    # them, and scanning every request's headers for them cost 0.5 us a call. No `server` header:
    # AWS's answers name none.
    loop: Any = "asyncio" if config.clock == "virtual" else "auto"
    settings = uvicorn.Config(create_app(config, store=store), host=args.host, port=args.port, log_level=args.log_level,
                              access_log=False, loop=loop, http=OneWriteProtocol, proxy_headers=False,
                              server_header=False)
    settle_heap()
    Server(settings).run()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asl-engine", description="AWS Step Functions on your own machine")
    parser.add_argument("--version", action="version", version=f"asl-engine {VERSION}")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the Step Functions API server")
    serve_parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to bind (default {DEFAULT_HOST})")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                              help=f"port (default {DEFAULT_PORT}; 0 picks a free one, the ready line says which)")
    serve_parser.add_argument("--db", default=None,
                              help="SQLite file (default $ASL_ENGINE_DB or ./asl-engine.db); :memory: keeps nothing; "
                                   "postgresql://user:password@host:port/database: a PostgreSQL database")
    serve_parser.add_argument("--clock", default=None, help=f"{CLOCKS} (default $ASL_ENGINE_CLOCK or real)")
    serve_parser.add_argument("--skip-db-check", action="store_true",
                              help=f"skip SQLite's quick_check of the file at start (huge files; also ${SKIP_DB_CHECK}=1)")
    serve_parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="default info")
    serve_parser.add_argument("--allowed-hosts", default=None,
                              help="host names the API answers to besides IP addresses, localhost and this "
                                   "machine's name, comma-separated; * for any (default $ASL_ENGINE_ALLOWED_HOSTS)")
    from .run_command import add_arguments

    add_arguments(commands.add_parser("run", help="run one execution in process and print its history"))
    commands.add_parser("validate", help="validate state machine definitions (see `validate --help`)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
