"""ARNs and names as AWS formats and checks them, and the (account, region) a request acts in.

Every resource lives in one account and one region, and its ARN says which; an ARN from another
scope is treated as absent, so a client in eu-west-1 never sees us-east-1's machines.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from .service_errors import InvalidArn, InvalidName

_FORBIDDEN = frozenset(' <>{}[]?*"#%\\^|~`$&,;:/')
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":(?P<type>stateMachine|execution|express|activity|mapRun):(?P<rest>.+)$"
)


@dataclass(frozen=True)
class Scope:
    """The account and region a request acts in."""

    account: str
    region: str

    def arn(self, resource: str) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:{resource}"


@dataclass(frozen=True)
class ParsedArn:
    scope: Scope
    resource_type: str
    parts: tuple[str, ...]  # the ':'-separated fields after the resource type


def check_name(name: str) -> None:
    """AWS's name rule: 1-80 characters, none of them whitespace, punctuation it reserves,
    control characters, U+FFFE/U+FFFF or surrogates."""
    if not 1 <= len(name) <= 80 or any(_bad_char(char) for char in name):
        raise InvalidName.for_name(name)


def _bad_char(char: str) -> bool:
    code = ord(char)
    return (
        char in _FORBIDDEN
        or char.isspace()
        or code <= 0x1F
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFFFE, 0xFFFF)
    )


def parse_arn(arn: str) -> ParsedArn:
    match = _ARN.match(arn or "")
    if not match or len(arn) > 256:
        raise InvalidArn.for_arn(arn)
    scope = Scope(match["account"], match["region"])
    return ParsedArn(scope, match["type"], tuple(match["rest"].split(":")))


def state_machine_arn(scope: Scope, name: str) -> str:
    return scope.arn(f"stateMachine:{name}")


def execution_arn(scope: Scope, machine_name: str, name: str) -> str:
    return scope.arn(f"execution:{machine_name}:{name}")


def express_execution_arn(scope: Scope, machine_name: str, name: str) -> str:
    """Express names need not be unique, so AWS appends a UUID to keep ARNs apart."""
    return scope.arn(f"express:{machine_name}:{name}:{uuid.uuid4()}")


def check_role_arn(role_arn: str) -> None:
    if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role_arn or ""):
        raise InvalidArn.for_arn(role_arn)
