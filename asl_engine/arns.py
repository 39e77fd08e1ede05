"""ARNs and names as AWS formats and checks them, and the (account, region) a request acts in.

Every resource lives in one account and one region, and its ARN says which; an ARN from another
scope is treated as absent, so a client in eu-west-1 never sees us-east-1's machines.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass

from .aws_errors import InvalidArn, InvalidName, ValidationException

# AWS's name rule as one character class, so a name is checked in one C call: the punctuation it
# reserves, whitespace (`\s` in a str pattern is str.isspace), C0 and C1 controls, surrogates,
# U+FFFE and U+FFFF.
_BAD_NAME_CHAR = re.compile(
    "[" + re.escape(' <>{}[]?*"#%\\^|~`$&,;:/') + r"\s\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":(?P<type>stateMachine|execution|express|activity|mapRun):(?P<rest>.+)$"
)


@dataclass(frozen=True)
class AccountRegion:
    """The account and region a request acts in."""

    account: str
    region: str

    @property
    def partition(self) -> str:
        return partition(self.region)

    def arn(self, resource: str) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:{resource}"


# Region prefix -> partition, longest prefix first (https://docs.aws.amazon.com/IAM/latest/UserGuide/
# reference-arns.html, "partition": aws, aws-cn, aws-us-gov, and the isolated aws-iso, aws-iso-b).
_PARTITIONS = (("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"), ("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"))


@functools.lru_cache(maxsize=64)  # every ARN the server writes asks; a server sees few regions
def partition(region: str) -> str:
    """The partition a region's ARNs use: `aws-cn` in China, the GovCloud and ISO partitions in
    theirs, `aws` everywhere else."""
    return next((name for prefix, name in _PARTITIONS if region.startswith(prefix)), "aws")


@dataclass(frozen=True)
class ParsedArn:
    scope: AccountRegion
    resource_type: str
    parts: tuple[str, ...]  # the ':'-separated fields after the resource type


MAX_NAME = 80


def check_name(name: str) -> None:
    """AWS's name rule: 1-80 characters, none of them whitespace, punctuation it reserves,
    control characters, U+FFFE/U+FFFF or surrogates. The length is the API model's constraint,
    checked before the service looks at the characters: ValidationException, not InvalidName
    (API_CreateStateMachine.html, API_StartExecution.html: "Length Constraints: Minimum length
    of 1. Maximum length of 80.")."""
    check_length(name, "name", MAX_NAME)
    if _BAD_NAME_CHAR.search(name):
        raise InvalidName.for_name(name)


def check_length(value: str, member: str, maximum: int) -> None:
    """The model's length constraint on a string member, in AWS's wording."""
    if len(value) > maximum:
        raise ValidationException.constraint(value, member, f"Member must have length less than or equal to {maximum}")
    if not value:
        raise ValidationException.constraint(value, member, "Member must have length greater than or equal to 1")


@functools.lru_cache(maxsize=256)
def parse_arn(arn: str) -> ParsedArn:
    """The parts of a Step Functions ARN, or InvalidArn. Remembered for the last few ARNs: a
    StartExecution reads its machine's ARN three times, and every start of it the same one (the
    parts are frozen, so a remembered answer is shared safely)."""
    match = _ARN.match(arn or "")
    if not match or len(arn) > 256:
        if not (arn or "").startswith("arn:"):  # AWS's words, recorded for 'invalid_state_machine_arn'
            raise InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
        raise InvalidArn.for_arn(arn)
    scope = AccountRegion(match["account"], match["region"])
    return ParsedArn(scope, match["type"], tuple(match["rest"].split(":")))


def state_machine_arn(scope: AccountRegion, name: str) -> str:
    return scope.arn(f"stateMachine:{name}")


def execution_arn(scope: AccountRegion, machine_name: str, name: str) -> str:
    return scope.arn(f"execution:{machine_name}:{name}")


def express_execution_arn(scope: AccountRegion, machine_name: str, name: str) -> str:
    """Express names need not be unique, so AWS appends a UUID to keep ARNs apart."""
    return scope.arn(f"express:{machine_name}:{name}:{uuid.uuid4()}")


def check_role_arn(role_arn: str) -> None:
    if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role_arn or ""):
        raise InvalidArn.for_arn(role_arn)
