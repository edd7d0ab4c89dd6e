"""Exports of personal data: only roles with the export permission (the audit trail: the audit administrator),
always with a stated purpose, watermarked with the user and the time, and audited (action "export").

A view calls `export_purpose(request)`: with no purpose given it gets None and shows `purpose_page()` (a small
form asking for it, status 400); with one it makes the file, puts `watermark()` on it (a CSV's first row, a PDF's
footer, a printed page's footer) and calls `log_export()`.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit

PURPOSE_MAX = 200


class PurposeForm(forms.Form):
    purpose = forms.CharField(label=gettext_lazy("Purpose of the export"), max_length=PURPOSE_MAX,
                              error_messages={"required": gettext_lazy("State the purpose of the export."),
                                              "max_length": gettext_lazy("Keep the purpose under 200 characters.")},
                              widget=forms.TextInput(attrs={"size": 50, "id": "export-purpose"}))


def export_purpose(request) -> tuple[str | None, PurposeForm]:
    form = PurposeForm(request.GET if "purpose" in request.GET else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["purpose"].strip():
        return form.cleaned_data["purpose"].strip(), form
    if form.is_bound and not form.errors:
        form.add_error("purpose", _("State the purpose of the export."))
    return None, form


def purpose_page(request, form: PurposeForm, title: str):
    """Ask for the purpose; the other query parameters (filters) are kept in hidden fields."""
    keep = [(k, v) for k, vs in request.GET.lists() if k != "purpose" for v in vs]
    return render(request, "access/export_purpose.html", {"form": form, "title": title, "keep": keep}, status=400)


def watermark(user, purpose: str, when=None) -> str:
    when = timezone.localtime(when or timezone.now())
    name = getattr(user, "full_name", "") or ""
    who = f"{user.get_username()}（{name}）" if name else user.get_username()
    return _("Exported by %(user)s at %(time)s, purpose: %(purpose)s. Personal data: do not pass on.") % {
        "user": who, "time": when.strftime("%Y-%m-%d %H:%M:%S"), "purpose": purpose}


def log_export(what: str, purpose: str, *, obj=None, object_type: str = "", object_id: str = "", **detail):
    return audit.log("export", obj=obj, object_type=object_type, object_id=object_id,
                     detail={"what": what, "purpose": purpose, **detail})
