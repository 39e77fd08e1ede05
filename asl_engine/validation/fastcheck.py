"""A compiled yes/no check of the schema, so that valid definitions skip jsonschema.

jsonschema builds a validator object per subschema it descends into, and evaluates every
`if`/`then` of the state dispatch: about 0.2 ms per state, too slow for a 500-state definition.
Here the schema is compiled once into nested closures that only answer "valid?". Definitions that
fail it go through jsonschema, which stays the reference and words the errors; the test suite
checks that both agree. Only the keywords asl.schema.json uses are supported, and compiling any
other keyword fails loudly, so the schema cannot outgrow this checker unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "x-aws-message"}
_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema has it: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and bool(a == b)
    return bool(a == b)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        """Resolve lazily: `$defs` refer to each other recursively."""
        if target not in self.refs:
            self.refs[target] = lambda v: resolved(v)
            node: Any = self.root
            for token in target.removeprefix("#/").split("/"):
                node = node[token]
            resolved = self.compile(node)
            self.refs[target] = resolved
        return self.refs[target]

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks = [self.keyword(k, value, schema) for k, value in schema.items()
                  if k not in _ANNOTATIONS and k not in ("then", "else")]
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check:  # one branch per keyword
        if key == "$ref":
            return self.ref(value)
        if key == "type":
            tests = [_TYPES[t] for t in (value if isinstance(value, list) else [value])]
            return lambda v: any(t(v) for t in tests)
        if key == "enum":
            return lambda v: any(_equal(v, option) for option in value)
        if key == "const":
            return lambda v: _equal(v, value)
        if key == "required":
            return lambda v: not isinstance(v, dict) or all(f in v for f in value)
        if key == "properties":
            props = {name: self.compile(sub) for name, sub in value.items()}
            return lambda v: not isinstance(v, dict) or all(props[k](v[k]) for k in v.keys() & props.keys())
        if key == "additionalProperties":
            known = set(schema.get("properties", {}))
            extra = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(extra(v[k]) for k in v.keys() - known)
        if key == "items":
            item = self.compile(value)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if key == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if key == "minimum":
            return lambda v: not _is_number(v) or v >= value
        if key == "maximum":
            return lambda v: not _is_number(v) or v <= value
        if key == "pattern":
            regex = re.compile(value)
            return lambda v: not isinstance(v, str) or regex.search(v) is not None
        if key == "allOf" and (dispatch := self.discriminator(value)):
            return dispatch
        if key in ("allOf", "anyOf", "oneOf"):
            subs = [self.compile(s) for s in value]
            if key == "allOf":
                return lambda v: all(s(v) for s in subs)
            if key == "anyOf":
                return lambda v: any(s(v) for s in subs)
            return lambda v: sum(1 for s in subs if s(v)) == 1
        if key == "not":
            sub = self.compile(value)
            return lambda v: not sub(v)
        if key == "if":
            test = self.compile(value)
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            return lambda v: then(v) if test(v) else otherwise(v)
        raise NotImplementedError(f"fastcheck does not support the keyword {key!r}")


    def discriminator(self, branches: list[Any]) -> Check | None:
        """`allOf` of `if {required: [K], properties: {K: {const: c}}} then S`: one dict lookup."""
        table: dict[str, Check] = {}
        keys = set()
        for branch in branches:
            test = branch.get("if", {}) if set(branch) == {"if", "then"} else {}
            key = (test.get("required") or [None])[0]
            const = test.get("properties", {}).get(key, {}).get("const")
            if set(test) != {"required", "properties"} or set(test["properties"][key]) != {"const"} \
                    or not isinstance(const, str):
                return None
            keys.add(key)
            table[const] = self.compile(branch["then"])
        if len(keys) != 1:
            return None
        (key,) = keys

        def dispatch(v: Any) -> bool:
            tag = v.get(key) if isinstance(v, dict) else None
            check = table.get(tag) if isinstance(tag, str) else None
            return check is None or check(v)
        return dispatch


def compile_schema(schema: dict[str, Any]) -> Check:
    """A predicate equivalent to `Draft202012Validator(schema).is_valid` for asl.schema.json."""
    return _Compiler(schema).compile(schema)
