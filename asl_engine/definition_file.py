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

from .json_read import MAX_JSON_DEPTH


class DefinitionFileError(ValueError):
    """The file cannot be read, or is not a YAML mapping; the message is one line."""


_JSON_TAGS = frozenset({"!", "tag:yaml.org,2002:merge", *(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "seq", "map"))})
"""The tags a definition's values may carry: JSON's own types (and a merge key, which builds a
mapping). Any other (`!!binary`, `!!set`, `!!timestamp`, `!!omap`...) names a value JSON cannot
hold, which would otherwise be stored as a Python text of it ("b'hello'")."""


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without the implicit timestamp type, without aliases (`*name` shares a
    node, and a few nested aliases, "billion laughs", become billions of values in JSON), without
    tags JSON has no form for, and no deeper than a JSON body may nest. The depth is counted as
    the text is scanned: PyYAML's scanner revisits every open bracket at each token, so 5,000
    `[` took it 1.8 s to reach the parser's RecursionError."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        self._check_depth(self.flow_level + len(self.indents))
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        self._check_depth(self.flow_level + len(self.indents))
        return bool(super().add_indent(column))

    def _check_depth(self, depth: int) -> None:
        if depth >= MAX_JSON_DEPTH:
            raise _TooDeep()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a definition",
                                              self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        node = super().compose_node(parent, index)
        if node is not None and node.tag not in _JSON_TAGS:
            mark = node.start_mark
            raise DefinitionFileError(f"a value tagged {node.tag} (line {mark.line + 1}, column {mark.column + 1}),"
                                      " which JSON cannot hold")
        return node


class _TooDeep(Exception):
    """Nested deeper than MAX_JSON_DEPTH."""


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
    except DefinitionFileError as refused:
        raise DefinitionFileError(f"{where} has {refused}") from None
    except (_TooDeep, RecursionError):
        raise DefinitionFileError(f"{where} is nested too deeply") from None
    if not isinstance(value, dict):
        raise DefinitionFileError(f"{where} must hold a YAML or JSON object (the state machine)")
    return json.dumps(value, ensure_ascii=False)
