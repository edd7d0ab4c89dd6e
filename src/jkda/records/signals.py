"""Signals other apps listen to (records depends on nothing above it; programs react to a closed record)."""

from django.dispatch import Signal

# sent inside the closing transaction: sender=Record, record=..., actor=..., reason=..., closed_on=...
record_closed = Signal()

# sent inside the hand-over transaction: sender=Institution, source=..., successor=..., actor=..., records=[ids]
records_handed_over = Signal()
