"""The errors the service raises, one class per AWS error shape.

A leaf module below every layer: the service raises these, and so do the checks it builds on
(ARNs and names, encryption configuration, the store's ServiceUnavailable), which must not
import the service package above them.

The class name *is* the `__type` a client sees (botocore turns it into `ClientError.response
["Error"]["Code"]`), so the name must match AWS's model exactly. The messages copy AWS's wording
as recorded in LocalStack's AWS-validated snapshots. No HTTP here: `asl_engine/api/errors.py` maps status.
"""

from __future__ import annotations

from typing import Self


class ServiceError(Exception):
    """A request the service refuses; `message` is what the user reads."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = {}  # members of the error shape besides `message`

    @property
    def type_name(self) -> str:
        return type(self).__name__

    # AWS's wording for "this ARN" errors, e.g. "State Machine Does Not Exist: '{arn}'".
    ARN_MESSAGE = "{arn}"

    @classmethod
    def for_arn(cls, arn: str) -> Self:
        return cls(cls.ARN_MESSAGE.format(arn=arn))


class StateMachineDoesNotExist(ServiceError):
    ARN_MESSAGE = "State Machine Does Not Exist: '{arn}'"


class StateMachineAlreadyExists(ServiceError):
    ARN_MESSAGE = "State Machine Already Exists: '{arn}'"


class ExecutionDoesNotExist(ServiceError):
    ARN_MESSAGE = "Execution Does Not Exist: '{arn}'"


class ExecutionAlreadyExists(ServiceError):
    ARN_MESSAGE = "Execution Already Exists: '{arn}'"


class ExecutionNotRedrivable(ServiceError):
    """RedriveExecution of an execution that cannot be redriven (service/redrive.py)."""


class InvalidArn(ServiceError):
    ARN_MESSAGE = "Invalid Arn: '{arn}'"

    @classmethod
    def wrong_type(cls, resource_type: str) -> InvalidArn:
        return cls(f"Invalid Arn: 'Resource type not valid in this context: {resource_type}'")


class InvalidName(ServiceError):
    @classmethod
    def for_name(cls, name: str) -> InvalidName:
        return cls(f"Invalid Name: '{name}'")


class InvalidDefinition(ServiceError):
    pass


class InvalidExecutionInput(ServiceError):
    pass


class InvalidEncryptionConfiguration(ServiceError):
    pass


class InvalidLoggingConfiguration(ServiceError):
    pass


class InvalidToken(ServiceError):
    pass


class ValidationException(ServiceError):
    @classmethod
    def constraint(cls, value: object, field: str, constraint: str) -> ValidationException:
        """AWS's model-validation wording: one failed constraint on one member."""
        return cls(
            f"1 validation error detected: Value '{value}' at '{field}' "
            f"failed to satisfy constraint: {constraint}"
        )


def invalid_routing(message: str) -> ValidationException:
    """ValidationException with AWS's `reason` for a bad alias routing configuration."""
    error = ValidationException(message)
    error.fields["reason"] = "INVALID_ROUTING_CONFIGURATION"
    return error


class ConflictException(ServiceError):
    pass


class MissingRequiredParameter(ServiceError):
    pass


class ResourceNotFound(ServiceError):
    ARN_MESSAGE = "Resource not found: '{arn}'"


class StateMachineTypeNotSupported(ServiceError):
    def __init__(self, message: str = "This operation is not supported by this type of state machine") -> None:
        super().__init__(message)


class TooManyTags(ServiceError):
    pass


class ActivityDoesNotExist(ServiceError):
    ARN_MESSAGE = "Activity Does Not Exist: '{arn}'"


class TaskDoesNotExist(ServiceError):
    pass


class TaskTimedOut(ServiceError):
    pass


class InvalidOutput(ServiceError):
    pass
