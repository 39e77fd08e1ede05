"""The engine's pure modules import no asyncio, SQLite or HTTP code (DEVELOPERS.md, "Layers").

Checked in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys

PURE = [
    "asl_engine.errors", "asl_engine.paths", "asl_engine.payload", "asl_engine.intrinsics",
    "asl_engine.choice", "asl_engine.model", "asl_engine.compile", "asl_engine.dataflow",
    "asl_engine.interpreter", "asl_engine.query", "asl_engine.jsonata",
]
FORBIDDEN = ["asyncio", "sqlite3", "aiosqlite", "http.client", "httpx", "fastapi", "starlette", "uvicorn"]


def test_pure_modules_import_no_io_libraries() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in PURE)
        + f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == ""
