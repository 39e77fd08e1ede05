"""`asl-engine validate FILE... [--format text|json] [--type STANDARD|EXPRESS]`; JSON or YAML files."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from ..definition_file import DefinitionFileError, read_definition
from .core import validate_definition
from .diagnostic import ERROR

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asl-engine validate",
                                     description="Report what AWS Step Functions would reject in each definition.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--type", choices=("STANDARD", "EXPRESS"), default="STANDARD", dest="machine_type")
    return parser


def validate_command(argv: list[str]) -> int:
    """Print each file's diagnostics; exit 1 if any ERROR, 2 if a file cannot be read, else 0."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage; report its status instead of exiting
        return exc.code if isinstance(exc.code, int) else EXIT_UNREADABLE
    status = EXIT_OK
    report = []
    for name in args.files:
        try:
            text = read_definition(name)
        except DefinitionFileError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        diagnostics = validate_definition(text, args.machine_type)
        failed = any(d.severity == ERROR for d in diagnostics)
        if failed and status == EXIT_OK:
            status = EXIT_INVALID
        if args.format == "json":
            report.append({"file": name, "result": "FAIL" if failed else "OK",
                           "diagnostics": [asdict(d) for d in diagnostics]})
        else:
            for d in diagnostics:
                print(f"{name}: {d.location}: {d.code} {d.message}")
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return status
