"""Definition validation as AWS Step Functions does it: codes, messages and JSON-pointer locations.

`schema` checks structure against schemas/asl.schema.json; `rules_states`, `rules_data` and
`rules_graph` hold the rules the schema cannot express, as plain functions in tables; `core`
runs them and orders the diagnostics; `cli` is the `asl-engine validate` command.
"""

from .cli import validate_command
from .core import format_invalid_definition, validate_definition
from .diagnostic import Diagnostic

__all__ = ["Diagnostic", "format_invalid_definition", "validate_command", "validate_definition"]
