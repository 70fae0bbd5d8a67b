"""Reading the CSV files operators import, as spreadsheets save them.

Text is UTF-8, with or without the byte-order mark Excel's "CSV UTF-8" writes; a file that is not
UTF-8 is read as Windows-1252 (what Excel's plain "CSV" writes on Western Windows), with a notice.
The delimiter is a comma or a semicolon (Excel writes semicolons where the decimal separator is a
comma, as in Germany), whichever the header line uses more. Anything else that cannot be read (a
workbook instead of CSV, UTF-16, NUL bytes, bytes that are no text) refuses the file with a
reason, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

Notice = Callable[[str], None]  # something worth knowing about a file that was still read
MAX_ERRORS_SHOWN = 20
_SAVE_AS = 'save it from the spreadsheet as "CSV UTF-8"'


@dataclass
class ImportFailed(Exception):
    """The file was refused; ``errors`` are "line N: reason" strings."""

    path: str
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        shown = self.errors[:MAX_ERRORS_SHOWN]
        more = len(self.errors) - len(shown)
        tail = [f"… and {more} more problems"] if more > 0 else []
        return "\n".join([f"{self.path}: refused, nothing was imported", *shown, *tail])


def decode(path: Path, data: bytes, notice: Notice | None = None) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped), else Windows-1252 with a notice."""
    if data.startswith(b"PK\x03\x04"):
        raise ImportFailed(str(path), [f"this is a spreadsheet workbook, not CSV: {_SAVE_AS}"])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFailed(str(path), [f"the file is UTF-16 text: {_SAVE_AS}"])
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ImportFailed(str(path), [f"line {line}: a NUL byte: this is not CSV text"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ImportFailed(
            str(path),
            [f"line {line}: byte 0x{byte:02X} is neither UTF-8 nor Windows-1252 text: {_SAVE_AS}"],
        ) from None
    if notice is not None:
        notice(
            f"{path}: not UTF-8, read as Windows-1252 (Excel's plain CSV); check names with "
            f"accents or umlauts, or {_SAVE_AS}"
        )
    return text


def delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_rows(
    path: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    notice: Notice | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; checks the header first."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailed(str(path), [f"cannot read the file: {error.strerror}"]) from None
    text = decode(path, data, notice)
    first_line = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter(first_line))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        if not header:
            raise ImportFailed(str(path), ["line 1: the file is empty (no header)"])
        allowed = set(required) | set(optional)
        problems = [f"line 1: unknown column {h!r}" for h in header if h not in allowed]
        problems += [f"line 1: missing column {c!r}" for c in required if c not in header]
        duplicated = {h for h in header if header.count(h) > 1}
        problems += [f"line 1: column {h!r} appears twice" for h in sorted(duplicated)]
        if problems:
            expected = ",".join((*required, *optional))
            raise ImportFailed(str(path), [*problems, f"expected header: {expected}"])
        reader.fieldnames = header
        for row in reader:
            if None in row:
                raise ImportFailed(str(path), [f"line {reader.line_num}: more values than columns"])
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as error:
        raise ImportFailed(str(path), [f"line {reader.line_num}: {error}"]) from None
