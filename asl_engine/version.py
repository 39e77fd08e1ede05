"""The installed version, for `asl-engine --version`, the start-up line and `GET /health`."""

from __future__ import annotations

from importlib import metadata

try:
    VERSION = metadata.version("asl-engine")
except metadata.PackageNotFoundError:  # a source tree on PYTHONPATH that was never pip-installed
    VERSION = "0+unknown"
