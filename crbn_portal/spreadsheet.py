"""Spreadsheet-safe CSV cells (OWASP "CSV injection"): a cell that starts with = + - @, a tab or a carriage
return is read as a formula by Excel and LibreOffice, so it gets a leading apostrophe, which they show as text."""

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows to CSV text, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
