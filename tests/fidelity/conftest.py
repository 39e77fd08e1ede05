"""The fidelity tests share the API tests' helpers (`sfn_support`: create, wait_done, error_of)
rather than rewriting them, and the session fixtures of tests/conftest.py (servers, moto)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
