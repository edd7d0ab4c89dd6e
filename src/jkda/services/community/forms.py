"""Web forms of the institution-level services, derived from the models (services.forms does the same for the
resident's forms and is reused: labels, widgets, SECTIONS layout and REPEATABLE rows come from the declaration).

Only two fields differ: the link to a health record is typed as a record number (looked up in the user's scope),
and the notice board choice is limited to the institution's boards."""

from __future__ import annotations

import functools

from django import forms
from django.db import models
from django.forms import modelform_factory
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.records.search import base_queryset
from jkda.services.forms import ServiceModelForm, _formfield, editable_fields

from .models import InstitutionService, NoticeBoard


class RecordNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.pop("queryset", None)
        kwargs.pop("limit_choices_to", None)
        kwargs.pop("to_field_name", None)
        kwargs.pop("blank", None)
        kwargs["required"] = False
        super().__init__(max_length=17, **kwargs)
        self.widget.attrs.setdefault("size", 20)

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        record = base_queryset(self.user).select_related("resident").filter(number=value).first() \
            if getattr(self, "user", None) is not None else None
        if record is None:
            raise forms.ValidationError(_("No health record %(number)s in your area.") % {"number": value})
        return record


class CommunityForm(ServiceModelForm):
    def __init__(self, *args, user=None, institution=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "patient_record" in self.fields:
            self.fields["patient_record"].user = user
            if not self.is_bound and getattr(self.instance, "patient_record_id", None):
                self.initial["patient_record"] = self.instance.patient_record.number
        if "board" in self.fields:
            inst_id = institution.pk if institution is not None else self.instance.institution_id
            self.fields["board"].queryset = NoticeBoard.objects.filter(institution_id=inst_id, retired_on=None) \
                if not self.instance.board_id else NoticeBoard.objects.filter(institution_id=inst_id)


def _callback(model):
    base = _formfield(model)

    def callback(model_field, **kwargs):
        if model_field.name == "patient_record":
            return RecordNumberField(label=gettext_lazy("Health record number"), help_text=model_field.help_text)
        if isinstance(model_field, models.DateTimeField):
            return forms.DateTimeField(label=capfirst(model_field.verbose_name),
                                       required=not model_field.blank,
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                  format="%Y-%m-%dT%H:%M"),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        return base(model_field, **kwargs)

    return callback


@functools.cache
def form_class(model: type[InstitutionService]) -> type[CommunityForm]:
    return modelform_factory(model, form=CommunityForm, fields=editable_fields(model),
                             formfield_callback=_callback(model))
