"""`encryptionConfiguration` of CreateStateMachine, UpdateStateMachine and CreateActivity.

Checked as AWS checks it (API_EncryptionConfiguration.html): `type` is AWS_OWNED_KEY or
CUSTOMER_MANAGED_KMS_KEY; a customer managed key needs a `kmsKeyId` that names a KMS key (a key
ID, key ARN, alias name or alias ARN, https://docs.aws.amazon.com/kms/latest/developerguide/
concepts.html#key-id); `kmsDataKeyReusePeriodSeconds` lies in 60-900 and goes only with a customer
managed key. Model constraints are ValidationException, the rest InvalidEncryptionConfiguration.
There is no KMS here, so nothing is encrypted with the key: the configuration is stored and every
Describe returns it, as AWS does (default `{"type": "AWS_OWNED_KEY"}`).
"""

from __future__ import annotations

import re
from typing import Any

from .aws_errors import InvalidEncryptionConfiguration, ValidationException

AWS_OWNED_KEY = "AWS_OWNED_KEY"
CUSTOMER_MANAGED_KMS_KEY = "CUSTOMER_MANAGED_KMS_KEY"
DEFAULT: dict[str, Any] = {"type": AWS_OWNED_KEY}
_MEMBER = "encryptionConfiguration"
_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
_KMS_ARN = r"arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:kms:[a-z0-9-]+:\d{12}:"
_KMS_KEY = re.compile(f"{_KMS_ARN}key/{_KEY_ID}|{_KMS_ARN}{_ALIAS}|{_KEY_ID}|{_ALIAS}")


def check_encryption(config: Any) -> dict[str, Any] | None:
    """The configuration to store (None when the request has none), or AWS's error for it."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ValidationException(f"Invalid Encryption Configuration: {_MEMBER} must be an object")
    kind = config.get("type")
    if kind not in (AWS_OWNED_KEY, CUSTOMER_MANAGED_KMS_KEY):
        raise ValidationException.constraint(
            kind, f"{_MEMBER}.type", "Member must satisfy enum value set: [CUSTOMER_MANAGED_KMS_KEY, AWS_OWNED_KEY]")
    key, period = config.get("kmsKeyId"), config.get("kmsDataKeyReusePeriodSeconds")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 2048):
        raise ValidationException.constraint(
            key, f"{_MEMBER}.kmsKeyId", "Member must have length less than or equal to 2048")
    if period is not None:
        if isinstance(period, bool) or not isinstance(period, int) or not 60 <= period <= 900:
            relation = "greater than or equal to 60" if isinstance(period, int) and period < 60 \
                else "less than or equal to 900"
            raise ValidationException.constraint(
                period, f"{_MEMBER}.kmsDataKeyReusePeriodSeconds", f"Member must have value {relation}")
    if kind == AWS_OWNED_KEY:
        if key is not None or period is not None:
            raise InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: kmsKeyId and kmsDataKeyReusePeriodSeconds "
                "can only be set with type CUSTOMER_MANAGED_KMS_KEY.")
        return dict(DEFAULT)
    if key is None or not _KMS_KEY.fullmatch(key):
        raise InvalidEncryptionConfiguration("Invalid Encryption Configuration: Must set a valid kmsKeyId.")
    stored: dict[str, Any] = {"type": CUSTOMER_MANAGED_KMS_KEY, "kmsKeyId": key}
    stored["kmsDataKeyReusePeriodSeconds"] = 300 if period is None else period  # AWS's default
    return stored


def customer_managed(config: dict[str, Any] | None) -> bool:
    """Is data under this configuration encrypted with the customer's own KMS key on AWS?"""
    return config is not None and config.get("type") == CUSTOMER_MANAGED_KMS_KEY


def described(config: dict[str, Any] | None) -> dict[str, Any]:
    """What Describe* returns: the stored configuration, or AWS's default."""
    return dict(config) if config is not None else dict(DEFAULT)
