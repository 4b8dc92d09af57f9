"""Labels for variant rows that the sample page and its fact tables share."""

from django import template

register = template.Library()


@register.filter
def fact_source(row: object) -> str:
    """Where a row was read: "file, line N". Rows read by region (through a tabix index, or by skipping the
    bgzip blocks of a large sorted file) carry line 0, as the lines before them were not counted; that must not
    read as a line of the file. The file's parse warning says which way it was read."""
    name = row.source_file.original_name  # type: ignore[attr-defined]
    line = row.line  # type: ignore[attr-defined]
    return f"{name}, line {line}" if line else f"{name}, read by region (no line number)"
