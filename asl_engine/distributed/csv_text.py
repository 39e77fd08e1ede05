"""CSV records as Step Functions splits them for ItemReader (InputType CSV), following the rules
of https://docs.aws.amazon.com/step-functions/latest/dg/example-csv-parse-dist-map.html, which
differ from Python's csv module:

- the configured delimiter separates fields, newlines separate records;
- a field may be enclosed in double quotes, and may then hold delimiters and newlines;
- a double quote is preserved by repeating it, in a quoted field or not (AWS's own example row
  `{""MyKey"":""MyValue""}` is the field `{"MyKey":"MyValue"}`);
- a backslash escapes a backslash, a double quote or the delimiter (`C:\\\\Program Files` is
  `C:\\Program Files`, `a\\,b` one field); a backslash followed by any other character is removed.

A quote left open at the end of the object is refused (the whole rest of the file would silently
become one field); so is a header row longer than 10 KiB.
"""

from __future__ import annotations

from typing import Iterator

MAX_HEADER_BYTES = 10 * 1024


class CsvRejected(ValueError):
    """The text is not CSV Step Functions reads; str() is the cause."""


def records(text: str, delimiter: str) -> Iterator[list[str]]:
    """The records of `text`, each a list of fields; blank lines are skipped."""
    row: list[str] = []
    field: list[str] = []
    quoted = False  # inside a field's double quotes
    at_start = True  # nothing read yet of the current field
    content = False  # the current record has something (a field or a delimiter)
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        following = text[index + 1] if index + 1 < length else ""
        if char == "\\":
            if following and following in ("\\", '"', delimiter):
                field.append(following)
                index += 2
            else:  # before any other character, the backslash is removed
                index += 1
            at_start, content = False, True
            continue
        if char == '"':
            if following == '"' and not (at_start and not quoted):
                field.append('"')  # a repeated double quote is one
                index += 2
            elif quoted:
                quoted = False
                index += 1
            elif at_start:
                quoted = True
                index += 1
            else:
                field.append(char)
                index += 1
            at_start, content = False, True
            continue
        if not quoted and char == delimiter:
            row.append("".join(field))
            field, at_start, content = [], True, True
            index += 1
            continue
        if not quoted and char in "\r\n":
            if content:
                row.append("".join(field))
                yield row
            row, field, at_start, content = [], [], True, False
            index += 2 if char == "\r" and following == "\n" else 1
            continue
        field.append(char)
        at_start, content = False, True
        index += 1
    if quoted:
        raise CsvRejected("The CSV file has a quoted field that is never closed.")
    if content:
        row.append("".join(field))
        yield row


def header_size_checked(headers: list[str], delimiter: str) -> list[str]:
    """The header row, refused when longer than the 10 KiB Step Functions reads."""
    if len(delimiter.join(headers).encode()) > MAX_HEADER_BYTES:
        raise CsvRejected(f"CSV headers cannot exceed {MAX_HEADER_BYTES // 1024} KiB.")
    return headers
