"""`asl-engine validate`: output formats and exit codes, on files in tmp_path."""

from __future__ import annotations

import json

from asl_engine.validate import validate_command

VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
INVALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}
WARNING_ONLY = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Result": {"a.$": "$"}}}}


def write(tmp_path, name, definition):
    path = tmp_path / name
    path.write_text(json.dumps(definition) if not isinstance(definition, str) else definition, encoding="utf-8")
    return str(path)


def test_valid_file_exits_zero(tmp_path, capsys):
    assert validate_command([write(tmp_path, "ok.json", VALID)]) == 0
    assert capsys.readouterr().out == ""


def test_warnings_print_but_exit_zero(tmp_path, capsys):
    path = write(tmp_path, "warn.json", WARNING_ONLY)
    assert validate_command([path]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: /States/A/Result: PASS_RESULT_IS_STATIC ")


def test_text_format_lists_each_diagnostic(tmp_path, capsys):
    bad = write(tmp_path, "bad.json", INVALID)
    assert validate_command([write(tmp_path, "ok.json", VALID), bad]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{bad}: /States/A/Next: MISSING_TRANSITION_TARGET Missing 'Next' target: B"
    assert all(line.startswith(f"{bad}: ") for line in lines)


def test_json_format(tmp_path, capsys):
    ok, bad = write(tmp_path, "ok.json", VALID), write(tmp_path, "bad.json", "{nope")
    assert validate_command([ok, bad, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["result"]) for r in report] == [(ok, "OK"), (bad, "FAIL")]
    assert report[1]["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_express_type_option(tmp_path):
    definition = {"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True}}}
    path = write(tmp_path, "express.json", definition)
    assert validate_command([path]) == 0
    assert validate_command([path, "--type", "EXPRESS"]) == 1


def test_unreadable_file_exits_two(tmp_path, capsys):
    assert validate_command([str(tmp_path / "missing.json"), write(tmp_path, "bad.json", INVALID)]) == 2
    assert "missing.json: cannot read" in capsys.readouterr().err


def test_usage_error_returns_status(capsys):
    assert validate_command([]) == 2
