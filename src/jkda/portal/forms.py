from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import correction_choices


class SignInForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=15, error_messages={
        "required": _("Enter your ID number."), "min_length": _("The ID number has 18 (or 15) characters.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    phone = forms.CharField(label=_("Mobile phone on your record"), max_length=20, error_messages={
        "required": _("Enter the mobile phone number on your record.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("Code"), regex=r"^\d{6}$", max_length=6, error_messages={
        "required": _("Enter the 6-digit code from the text message."),
        "invalid": _("Enter the 6-digit code from the text message.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class ConsentForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("Item to correct"), choices=(), error_messages={
        "required": _("Choose the item to correct.")})
    text = forms.CharField(label=_("What is wrong, and what is right"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("Say what is wrong and what is right.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "—"), *correction_choices()]
