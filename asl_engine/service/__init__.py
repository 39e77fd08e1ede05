"""The service layer: the use cases behind both HTTP APIs, one facade (`Service`) that `asl_engine/api/` calls.

Its modules, one aggregate each: `facade` (the entry point that composes the rest, and tags),
`machines` (state machines and their definitions' checks), `versions` (versions and aliases),
`executions` (start, stop, describe, history, recovery after a restart), `activities`
(activities and task tokens), `map_runs`, `test_state` and `console` (the web console's
read-only overviews). The errors they raise are
AWS's error shapes, in `asl_engine.aws_errors`, below this layer so the store and ARN checks can
raise them too. Dependencies point one way: api -> service -> runtime -> engine -> language.
"""

from .executions import STATUSES
from .facade import Service
from .machines import tag_dict
from .test_state import TestStateRequest

__all__ = ["STATUSES", "Service", "TestStateRequest", "tag_dict"]
