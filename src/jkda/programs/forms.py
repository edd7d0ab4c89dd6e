from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jkda.records.forms import DateInput
from jkda.records.rules import today

from . import codes as C
from .models import CallLog, Enrollment
from .registry import programs


def enrollable_choices():
    return [(p.code, str(p.label)) for p in programs() if not p.by_age]


class EnrolForm(forms.ModelForm):
    program = forms.ChoiceField(label=_("program"), choices=enrollable_choices)

    class Meta:
        model = Enrollment
        fields = ["program", "enrolled_on", "source", "note"]
        widgets = {"enrolled_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("enrolled_on", today())
        self.initial.setdefault("source", "2")


class ExitForm(forms.Form):
    exited_on = forms.DateField(label=_("date left"), widget=DateInput())
    exit_reason = forms.ChoiceField(label=_("reason for leaving"), choices=C.EXIT_REASON.choices)
    exit_note = forms.CharField(label=_("note on leaving"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("exited_on", today())


class CallForm(forms.ModelForm):
    class Meta:
        model = CallLog
        fields = ["program", "item", "due_on", "outcome", "appointment_on", "note"]
        widgets = {"program": forms.HiddenInput, "item": forms.HiddenInput, "due_on": forms.HiddenInput,
                   "appointment_on": DateInput()}


class WorklistFilter(forms.Form):
    SCOPES = (("mine", _("My residents")), ("institution", _("Whole institution")))
    STATUS = (("", _("Overdue and due soon")), ("overdue", _("Overdue only")), ("due", _("Due soon only")))
    SORTS = (("due", _("Due date")), ("name", _("Name")), ("village", _("Village")), ("program", _("Program")))
    scope = forms.ChoiceField(label=_("Whose"), choices=SCOPES, required=False)
    program = forms.ChoiceField(label=_("program"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS, required=False)
    village = forms.CharField(label=_("Village code"), max_length=12, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("All programs"))] + [(p.code, str(p.label)) for p in programs()]
