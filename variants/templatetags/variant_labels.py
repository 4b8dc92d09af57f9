"""Labels for variant rows that the sample page and its fact tables share."""

from django import template

register = template.Library()


@register.filter
def fact_source(row: object) -> str:
    """Where a row was read: "file, line N". Rows read through a tabix index carry line 0 (a region query gives
    no line numbers), which must not read as a line of the file."""
    name = row.source_file.original_name  # type: ignore[attr-defined]
    line = row.line  # type: ignore[attr-defined]
    return f"{name}, line {line}" if line else f"{name}, read through its index"
