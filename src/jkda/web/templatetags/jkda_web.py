"""Template filters of the web UI: value-set labels instead of raw codes."""

from django import template

from jkda.access import masking
from jkda.records.forms import format_value

register = template.Library()


@register.filter
def code(obj, field: str) -> str:
    """{{ resident|code:"sex" }} → the label of the stored code in the active language."""
    return format_value(field, getattr(obj, field, None), type(obj))


@register.filter
def masked(value, field: str) -> str:
    """{{ resident.id_number|masked:"id_number" }} → 1101**********002X (see access.masking)."""
    return masking.mask(field, value)
