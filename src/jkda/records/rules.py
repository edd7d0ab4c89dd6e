"""Checks of the personal basic information form beyond single-field value sets.

`check_resident` returns {field: [message, ...]}; the model's clean() raises them, so the web form, the API,
the import and the synthetic generator all apply the same rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.codes import idnumber
from jkda.codes import valuesets as V
from jkda.codes.fields import validate_code_list

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")
YEAR_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})(-(\d{2}))?$")


# the form's multi-choice items: (field, value set, the field naming "other" when it is ticked)
MULTI_CHOICE = (
    ("payment", V.PAYMENT, "payment_other"),
    ("drug_allergy", V.DRUG_ALLERGY, "drug_allergy_other"),
    ("exposure", V.EXPOSURE, None),
    ("disability", V.DISABILITY, "disability_other"),
)


def today() -> dt.date:
    return timezone.localdate()


def parse_partial_date(text: str) -> dt.date | None:
    """'2019-06' or '2019-06-01' → a date (first of month for year-month); None when malformed."""
    m = DATE_RE.match(str(text or "").strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(4) or 1))
    except ValueError:
        return None


def _verbose_name(r, field: str):
    return _field_label(r._meta, field)


@functools.lru_cache(maxsize=256)
def _field_label(meta, field: str):
    """The field's verbose name (a lazy translation: each use gives the active language's text)."""
    return meta.get_field(field).verbose_name


def check_resident(r, now: dt.date | None = None) -> dict[str, list[str]]:
    """The rules of the personal basic information form; `now` is today's date (a bulk caller reads it once)."""
    errors: dict[str, list[str]] = defaultdict(list)
    now = now or today()

    if r.id_number:
        try:
            info = idnumber.parse(r.id_number, today=now)
        except ValidationError as exc:
            r.id_number = idnumber.normalise(r.id_number)
            errors["id_number"].extend(exc.messages)
        else:
            r.id_number = info.number  # normalised
            if not r.birth_date:
                r.birth_date = info.birth_date
            elif r.birth_date != info.birth_date:
                errors["birth_date"].append(
                    _("The birth date %(given)s does not match the ID number (%(derived)s).")
                    % {"given": r.birth_date.isoformat(), "derived": info.birth_date.isoformat()}
                )
            if not r.sex:
                r.sex = info.sex
            elif r.sex in ("1", "2") and r.sex != info.sex:
                errors["sex"].append(
                    _("The sex does not match the ID number (which says %(derived)s).")
                    % {"derived": V.SEX.label(info.sex)}
                )
    else:
        r.id_number = None

    if r.birth_date:
        if isinstance(r.birth_date, dt.date) and r.birth_date > now:
            errors["birth_date"].append(_("The birth date cannot be in the future."))
        elif isinstance(r.birth_date, dt.date) and r.birth_date.year < 1880:
            errors["birth_date"].append(_("The birth date is implausibly early."))

    for field in ("phone", "contact_phone"):
        value = (getattr(r, field) or "").strip()
        setattr(r, field, value)
        if value and not PHONE_RE.match(value):
            errors[field].append(
                _("“%(value)s” is not a phone number: give an 11-digit mobile number or a landline like 0512-12345678.")
                % {"value": value}
            )

    birth = r.birth_date if isinstance(r.birth_date, dt.date) else None

    def check_date(field, text, label, month_only=False):
        """`label` is a callable: the label is only worked out (in the active language) for a message."""
        d = parse_partial_date(text)
        if d is None or (month_only and not YEAR_MONTH_RE.match(str(text))):
            label = label()
            fmt = "YYYY-MM" if month_only else "YYYY-MM-DD"
            errors[field].append(_("%(label)s: “%(text)s” is not a date (%(fmt)s).") % {
                "label": label, "text": text, "fmt": fmt})
            return
        if d > now:
            errors[field].append(_("%(label)s: the date %(text)s is in the future.") % {"label": label(), "text": text})
        elif birth and (d.year, d.month) < (birth.year, birth.month):
            errors[field].append(_("%(label)s: the date %(text)s is before the birth date.") % {
                "label": label(), "text": text})

    # multi-choice items
    for field, valueset, other in MULTI_CHOICE:
        value = getattr(r, field) or []
        if type(value) is list and not value:  # nothing ticked: nothing to check
            continue
        try:
            validate_code_list(valueset, value, _verbose_name(r, field))
        except ValidationError as exc:
            errors[field].extend(exc.messages)
            continue
        if other and value and valueset.entries[-1][0] in value and not (getattr(r, other) or "").strip():
            errors[other].append(_("Please name the “other” item that was ticked."))

    # past diseases: repeatable with diagnosis year-month
    past = r.past_diseases or []
    if not isinstance(past, list):
        errors["past_diseases"].append(_("Past diseases must be a list."))
    else:
        codes = []
        for item in past:
            if not isinstance(item, dict) or "code" not in item:
                errors["past_diseases"].append(_("Each past disease needs a code."))
                continue
            code = str(item["code"])
            codes.append(code)
            if code not in V.PAST_DISEASE:
                errors["past_diseases"].append(_("Unknown past-disease code %(code)s.") % {"code": code})
            elif code != V.PAST_DISEASE.none_code:
                if not item.get("date"):
                    errors["past_diseases"].append(
                        _("%(disease)s: the diagnosis year and month are required.")
                        % {"disease": V.PAST_DISEASE.label(code)}
                    )
                else:
                    check_date("past_diseases", item["date"], lambda code=code: V.PAST_DISEASE.label(code),
                               month_only=True)
        if V.PAST_DISEASE.none_code in codes and len(codes) > 1:
            errors["past_diseases"].append(_("“None” cannot be given together with diseases."))

    for field in ("operations", "injuries", "transfusions"):
        items = getattr(r, field) or []
        if not items:
            continue
        label = _verbose_name(r, field)
        if not isinstance(items, list):
            errors[field].append(_("%(label)s must be a list.") % {"label": label})
            continue
        for item in items:
            if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                errors[field].append(_("%(label)s: each entry needs a name.") % {"label": label})
                continue
            if item.get("date"):
                check_date(field, item["date"], lambda label=label, item=item: f"{label} {item['name']}")
            else:
                errors[field].append(_("%(label)s %(name)s: the date is required.") % {
                    "label": label, "name": item["name"]})

    fam = r.family_history or {}
    if not isinstance(fam, dict):
        errors["family_history"].append(_("Family history must map father/mother/siblings/children to codes."))
    else:
        for member, codes in fam.items():
            if member not in V.FAMILY_MEMBER:
                errors["family_history"].append(_("Unknown family member “%(m)s”.") % {"m": member})
                continue
            try:
                validate_code_list(V.FAMILY_DISEASE, codes, V.FAMILY_MEMBER.label(member))
            except ValidationError as exc:
                errors["family_history"].extend(exc.messages)

    return {k: v for k, v in errors.items() if v}
