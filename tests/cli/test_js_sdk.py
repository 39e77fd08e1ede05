"""StartSyncExecution from the real AWS SDK for JavaScript v3, configured as the README says.

The SDK models StartSyncExecution with the host prefix `sync-` (API reference:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html is
served from `sync-states.<region>.amazonaws.com`), so without `disableHostPrefix: true` it sends the
call to `sync-127.0.0.1`. Needs node and npm; `@aws-sdk/client-sfn` is installed once into
.cache/ (gitignored) and reused. Skipped, saying why, when node or npm is missing or the
registry cannot be reached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CACHE = HERE.parents[1] / ".cache" / "node-sfn-sdk"
SCRIPT = HERE / "js_sdk_sync.cjs"
INSTALL_SECONDS = 300


@pytest.fixture(scope="module")
def sdk_folder() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the JavaScript SDK check needs them")
    if not (CACHE / "node_modules" / "@aws-sdk" / "client-sfn" / "package.json").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"private": true}\n')
        try:
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "@aws-sdk/client-sfn@3"],
                                  cwd=CACHE, capture_output=True, text=True, timeout=INSTALL_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install @aws-sdk/client-sfn took over {INSTALL_SECONDS} s (registry unreachable?)")
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"npm install @aws-sdk/client-sfn failed: {last}")
    shutil.copyfile(SCRIPT, CACHE / SCRIPT.name)  # node resolves the package next to the script
    return CACHE


def test_start_sync_execution_with_disable_host_prefix(sdk_folder: Path, server) -> None:
    done = subprocess.run(["node", SCRIPT.name, server.url], cwd=sdk_folder, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", {"hello": "js"})
    # Without the setting the call goes to sync-127.0.0.1, which does not resolve.
    assert "sync-127.0.0.1" in result["withPrefix"] or "ENOTFOUND" in result["withPrefix"], result["withPrefix"]
