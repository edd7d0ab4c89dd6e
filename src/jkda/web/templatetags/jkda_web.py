"""Template filters of the web UI: value-set labels instead of raw codes."""

from django import template

from jkda.records.forms import format_value

register = template.Library()


@register.filter
def code(obj, field: str) -> str:
    """{{ resident|code:"sex" }} → the label of the stored code in the active language."""
    return format_value(field, getattr(obj, field, None), type(obj))
