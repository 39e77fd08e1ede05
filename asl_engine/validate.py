"""Public entry point of the definition validator (implementation in asl_engine.validation)."""

from asl_engine.validation import Diagnostic, format_invalid_definition, validate_command, validate_definition

__all__ = ["Diagnostic", "format_invalid_definition", "validate_command", "validate_definition"]
