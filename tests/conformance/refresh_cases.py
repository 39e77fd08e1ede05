"""Refresh the vendored test corpora from the shared folder where new recordings arrive.

    python tests/conformance/refresh_cases.py              # from ../shared beside the repository
    python tests/conformance/refresh_cases.py --shared DIR

The tests read only the copies inside the repository (see tests/corpora.py), so a clone runs its
suite with nothing beside it. This script mirrors each corpus folder: new and changed cases are
copied, cases gone upstream are removed, and the licence files travel with them. Review the diff
(new cases may need a KNOWN_FAILURES entry) and commit it on its own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from corpora import EXECUTION_CASES, VALIDATOR_CASES  # noqa: E402

# (folder under the shared conformance folder, its licence files, where the copy lives)
CORPORA = [
    ("aws/cases", {"aws/LICENSE-cases": "LICENSE-cases"}, EXECUTION_CASES),
    ("validator/cases", {"validator/licenses": "licenses"}, VALIDATOR_CASES),
]


def refresh(shared: Path) -> list[str]:
    """Mirror every corpus from `shared` (the `conformance` folder); one summary line per corpus."""
    lines = []
    for folder, licences, target in CORPORA:
        source = shared / folder
        if not source.is_dir():
            raise SystemExit(f"refresh_cases: {source} is not a folder")
        target.mkdir(parents=True, exist_ok=True)
        wanted = {path.name: path for path in source.glob("*.json")}
        removed = [path for path in target.glob("*.json") if path.name not in wanted]
        for path in removed:
            path.unlink()
        changed = 0
        for name, path in wanted.items():
            copy = target / name
            if not copy.exists() or copy.read_bytes() != path.read_bytes():
                shutil.copyfile(path, copy)
                changed += 1
        for origin, name in licences.items():
            if (shared / origin).is_dir():
                shutil.copytree(shared / origin, target / name, dirs_exist_ok=True)
            else:
                shutil.copyfile(shared / origin, target / name)
        lines.append(f"{folder}: {len(wanted)} cases, {changed} new or changed, {len(removed)} removed")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=TESTS.parent.parent / "shared",
                        help="the shared folder (default: ../shared beside the repository)")
    args = parser.parse_args(argv)
    for line in refresh(args.shared / "conformance"):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
