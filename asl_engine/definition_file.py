"""A state machine definition read from a file: JSON, or YAML as SAM and Serverless projects keep it.

A JSON file (a `.json` name, or text that starts with `{`) is passed on exactly as written, so the
validator reports its syntax errors as AWS would. Anything else is read as YAML and turned into
JSON text. YAML's implicit timestamps are left as strings: a Wait state's unquoted
`Timestamp: 2026-01-01T00:00:00Z` must stay the string ASL expects, not become a date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class DefinitionFileError(ValueError):
    """The file cannot be read, or is not a YAML mapping; the message is one line."""


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without the implicit timestamp type, and without aliases: `*name` shares
    a node, and a few nested aliases ("billion laughs") become billions of values in JSON."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a definition",
                                              self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_definition(path: str | Path) -> str:
    """The definition in the file at `path`, as JSON text."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DefinitionFileError(f"{path}: cannot read: {reason}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return text
    return yaml_to_json(text, str(path))


def yaml_to_json(text: str, where: str = "the definition") -> str:
    """A YAML mapping as JSON text; DefinitionFileError when it is not one."""
    try:
        value: Any = yaml.load(text, Loader=_Loader)  # a safe loader: _Loader extends SafeLoader
    except yaml.YAMLError as exc:
        raise DefinitionFileError(f"{where} is not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise DefinitionFileError(f"{where} is nested too deeply") from None
    if not isinstance(value, dict):
        raise DefinitionFileError(f"{where} must hold a YAML or JSON object (the state machine)")
    return json.dumps(value, ensure_ascii=False, default=str)  # an explicit !!timestamp or !!binary: its text
