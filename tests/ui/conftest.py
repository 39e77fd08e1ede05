"""A headless Chromium for the console's browser tests, and the servers they look at.

The browser is Debian's `chromium` driven by Playwright (`executable_path`: Playwright's own
browser download is never used). Without it the tests are skipped and say why; CI installs it
(.ci/run). The console server reads a mock file, so a Task can fail, be retried and be caught
without any integration; running executions wait on an activity of the wall-clock server until
the test answers it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig
from serving import ServerThread
from ui_support import CHROMIUM, CHROMIUM_ARGS, HERE, client

@pytest.fixture(scope="module")
def chromium_context() -> Iterator[Any]:
    """One browser context per test module (each test opens its own page). Not per session:
    Playwright's sync API keeps an event loop running in this thread while it is open, and the
    tests that follow call `asyncio.run`."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python (pip install playwright)")
    profile = tempfile.mkdtemp(prefix="asl-engine-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(10_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium_context: Any) -> Iterator[Any]:
    page = chromium_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert errors == [], f"the page's script failed: {errors}"


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A virtual-clock server with tests/ui/MockConfigFile.json as its SFN Local mock file."""
    db = tmp_path_factory.mktemp("asl-engine-ui") / "ui.db"
    tasks = TaskConfig(mock_config_path=str(HERE / "MockConfigFile.json"))
    thread = ServerThread(create_app(Config(db_path=str(db), clock="virtual", tasks=tasks)))
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def console_sfn(console_server: ServerThread) -> Any:
    return client(console_server.url)
