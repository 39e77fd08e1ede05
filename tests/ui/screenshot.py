"""Take the README's picture of the console: examples/order-saga's execution page.

    .venv/bin/python tests/ui/screenshot.py [docs/console-execution.png]

Runs the saga on its mock file's `ChargeDeclined` test case (the charge is declined, the Catch
runs the compensations, the order fails) on a fresh server, and photographs the page in
Debian's headless Chromium, as the browser tests do.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "ui")]

from asl_engine.api.app import create_app  # noqa: E402
from asl_engine.config import Config  # noqa: E402
from asl_engine.tasks.config import TaskConfig  # noqa: E402
from serving import ServerThread  # noqa: E402
from ui_support import CHROMIUM, CHROMIUM_ARGS, ROLE, client, open_execution, wait_ended  # noqa: E402

SAGA = ROOT / "examples" / "order-saga"
ORDER = {"orderId": "o-1", "items": [{"sku": "book-42", "quantity": 1}], "amountCents": 4200,
         "card": "tok_chargeDeclined", "address": {"country": "FR"}}


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tasks = TaskConfig(mock_config_path=str(SAGA / "MockConfigFile.json"))
        server = ServerThread(create_app(Config(db_path=f"{folder}/saga.db", clock="virtual", tasks=tasks)))
        server.start()
        try:
            sfn = client(server.url)
            machine = sfn.create_state_machine(name="OrderSaga", roleArn=ROLE,
                                               definition=(SAGA / "definition.asl.json").read_text())
            arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"] + "#ChargeDeclined",
                                      name="order-o-1", input=json.dumps(ORDER))["executionArn"]
            wait_ended(sfn, arn)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                open_execution(page, server.url, arn)
                page.click('#graph [data-state="ChargePayment"]')
                page.screenshot(path=str(target))
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "console-execution.png")
