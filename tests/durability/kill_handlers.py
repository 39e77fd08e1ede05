"""Lambda handlers for the kill test: each call is appended to a log, so the test can count calls.

They stand for the outside world (Lambda functions with side effects). The server subprocess
loads them through ASL_LAMBDA_HANDLERS; the log path comes from KILL_TEST_LOG.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any


def _log(name: str, event: Any) -> None:
    with open(os.environ["KILL_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"handler": name, "event": event, "at": time.time()}) + "\n")


def charge(event: Any, context: Any) -> Any:
    _log("charge", event)
    return {"order": event["order"], "charged": event["amount"]}


def ship(event: Any, context: Any) -> Any:
    _log("ship", event)
    return {"order": event["order"], "shipped": True}


def item(event: Any, context: Any) -> Any:
    _log("item", event)
    return {"item": event["item"], "double": event["item"] * 2}


def token(event: Any, context: Any) -> Any:
    _log("token", event)
    return {"sent": True}


def token_slow(event: Any, context: Any) -> Any:
    """A callback's message goes out and its Lambda goes on working: the token can be answered,
    and the server killed, before it returns."""
    _log("token", event)
    time.sleep(30)
    return {"sent": True}


def token_then_die(event: Any, context: Any) -> Any:
    """A callback's message goes out, and the server dies in that instant (the first time only):
    the harshest moment for a task token, which must still be the one the restart waits for."""
    _log("token", event)
    marker = os.environ["KILL_TEST_LOG"] + ".died"
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return {"sent": True}
