"""Small forms of the web UI: the search filters and the record / household actions."""

from __future__ import annotations

import functools
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from jkda.access.scope import visible_institution_ids
from jkda.codes import valuesets as V
from jkda.records.forms import DateInput, area_prefix_of, villages_for
from jkda.records.models import Record
from jkda.regions.models import Division, Institution

# Age bands of the list filter: value → (min, max) in whole years.
AGE_BANDS = {
    "0-6": (0, 6),
    "7-17": (7, 17),
    "18-44": (18, 44),
    "45-64": (45, 64),
    "65-": (65, None),
}


def visible_institutions(user):
    ids = visible_institution_ids(user)
    qs = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS)
    return qs.filter(id__in=ids).order_by("path", "code")


def visible_villages(user):
    """Villages in the area of the institutions a user sees (a choice list, not personal data)."""
    ids = visible_institution_ids(user)
    villages = Division.objects.filter(level=Division.Level.VILLAGE)
    # area_prefix() of each institution, from three columns rather than 200 model instances
    rows = Institution.objects.filter(id__in=ids).values_list("division__code", "division__level",
                                                              "division__parent__code")
    prefixes = {area_prefix_of(*row) for row in rows}
    if not prefixes:
        return villages.none()
    kept: list[str] = []  # a county's prefix covers its townships': sorted, the covering one comes first
    for prefix in sorted(prefixes):
        if not (kept and prefix.startswith(kept[-1])):
            kept.append(prefix)
    cond = Q()
    for prefix in kept:
        cond |= Q(code__startswith=prefix)
    return villages.filter(cond)


# Up to this many villages are listed in the search filters at once; a user who sees more (a district or city
# bureau: hundreds to thousands) chooses an institution first and gets its villages (`residents_options`).
VILLAGES_LISTED = 300


def _village_choices(form: FilterForm, user) -> list[tuple[str, str]]:
    institution = form.chosen_institution(user)
    selected = str(form.data.get("village") or "")
    if institution is not None:
        return [("", _("All")), *villages_for(institution).order_by("code").values_list("code", "name")]
    villages = visible_villages(user).order_by("code")
    rows = list(villages.values_list("code", "name")[:VILLAGES_LISTED + 1])
    if len(rows) <= VILLAGES_LISTED:
        return [("", _("All")), *rows]
    # a village given in the address (a link, a bookmark) still filters, and shows as chosen
    kept = list(villages.filter(code=selected).values_list("code", "name")) if selected else []
    return [("", _("All (choose an institution to list its villages)")), *kept]


class CompactSelect(forms.Select):
    """A select that writes its markup in Python: Django's includes two templates per option and builds a dict of
    attributes for each, and the lists here are long (the transfer form lists every clinical institution of the
    city, 200; the city bureau's search filters every institution and a thousand villages)."""

    def render(self, name, value, attrs=None, renderer=None):
        """The markup of Django's select.html (whitespace aside), options straight from the choices."""
        selected = set(self.format_value(value))
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True

        def option(v, label) -> str:
            v = "" if v is None else str(v)
            return (f'<option value="{escape(v)}"{" selected" if v in selected else ""}>'
                    f"{escape(str(label))}</option>")

        parts = [format_html('<select name="{}"{}>', name, flatatt(final))]
        for v, label in self.choices:
            if isinstance(label, (list, tuple)):  # an option group: (group name, [(value, label), ...])
                parts.append(format_html('<optgroup label="{}">', v))
                parts.extend(option(gv, gl) for gv, gl in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(v, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label above is escaped


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *Record.Status.choices])
    # CompactSelect: the city bureau's lists hold every institution and village of the city
    institution = forms.ModelChoiceField(Institution.objects.none(), label=_("Institution"), required=False,
                                         empty_label=_("All"), widget=CompactSelect)
    sex = forms.ChoiceField(label=_("Sex"), required=False)
    age = forms.ChoiceField(label=_("Age"), required=False,
                            choices=[("", _("All")), *[(k, k.replace("-", "–") if not k.endswith("-")
                                                        else k[:-1] + "+") for k in AGE_BANDS]])
    village = forms.ChoiceField(label=_("Village"), required=False, widget=CompactSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = visible_institutions(user)
        # choosing an institution lists its villages (htmx swaps the village list in; without scripts the list
        # follows the institution once the form is sent)
        self.fields["institution"].widget.attrs.update({
            "hx-get": reverse_lazy("residents_options"), "hx-trigger": "change", "hx-swap": "none"})
        self.fields["sex"].choices = [("", _("All")), *V.SEX.choices()]
        # a callable, read once per form: the villages are read when the list is drawn or a village is checked, not
        # for the results alone (htmx asks for those as the user types)
        self.fields["village"].choices = functools.cache(functools.partial(_village_choices, self, user))
        self.fields["q"].widget.attrs.update({"id": "q", "type": "search", "autocomplete": "off", "autofocus": True,
                                              "placeholder": _("Name, pinyin initials, ID number, phone or record "
                                                               "number")})

    def chosen_institution(self, user) -> Institution | None:
        """The institution the filters name, if the user may see it (else None: the filter is then ignored)."""
        try:
            pk = int(self.data.get("institution") or 0)
        except (TypeError, ValueError):
            return None
        if pk not in visible_institution_ids(user):
            return None
        return Institution.objects.select_related("division__parent").filter(pk=pk).first()

    def search_kwargs(self) -> dict:
        """Arguments for search_records from the valid filters (an invalid one is ignored, not an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        kwargs = {"status": data.get("status") or "", "sex": data.get("sex") or "",
                  "village_code": data.get("village") or ""}
        if data.get("institution"):
            kwargs["institution_id"] = data["institution"].pk
        if data.get("age") in AGE_BANDS:
            kwargs["age_min"], kwargs["age_max"] = AGE_BANDS[data["age"]]
        return kwargs


class TransferForm(forms.Form):
    to_institution = forms.ModelChoiceField(Institution.objects.none(), label=_("Transfer to"), widget=CompactSelect)
    village = forms.ModelChoiceField(Division.objects.none(), label=_("Village / residents' committee"),
                                     required=False, empty_label=_("(keep the current one)"), widget=CompactSelect)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, record: Record, **kwargs):
        kwargs.setdefault("prefix", "transfer")
        super().__init__(*args, **kwargs)
        # the options need names only (every record page lists every clinical institution of the city)
        institutions = (Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS, active=True)
                        .exclude(pk=record.institution_id).order_by("path"))
        self.fields["to_institution"].queryset = institutions
        chosen = None
        raw = self.data.get(self.add_prefix("to_institution")) if self.is_bound else None
        if raw and str(raw).isdigit():
            chosen = institutions.select_related("division__parent").filter(pk=int(raw)).first()
        self.fields["village"].queryset = villages_for(chosen)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for closing"), widget=forms.RadioSelect)
    closed_on = forms.DateField(label=_("Date of death or of moving away"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = V.CLOSE_REASON.choices()


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)


class HouseholdCreateForm(forms.Form):
    address = forms.CharField(label=_("Household address"), max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "household")
        super().__init__(*args, **kwargs)
        self.fields["address"].widget.attrs["size"] = 40


class AddMemberForm(forms.Form):
    record = forms.CharField(label=_("Record number"), max_length=17)
    relation = forms.ChoiceField(label=_("Relation to head of household"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "member")
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = [("", "—"), *V.RELATION_TO_HEAD.choices()]
