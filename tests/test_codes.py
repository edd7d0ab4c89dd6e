"""Value sets and ID numbers (GB 11643), with property tests."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from jkda.codes import idnumber
from jkda.codes import valuesets as V

ADDRESS_CODES = ["110101", "320506", "440305", "510104", "650102", "320583"]


def test_value_sets_match_the_form():
    assert V.SEX.codes == ["0", "1", "2", "9"]
    assert len([c for c in V.ETHNICITY.codes if int(c) <= 56]) == 56
    assert V.ETHNICITY.label("01", "zh-hans") == "汉族"
    assert V.EDUCATION.codes[-1] == "10" and V.EDUCATION.label("9", "zh-hans") == "文盲或半文盲"
    assert V.OCCUPATION.codes == [str(i) for i in range(9)]
    assert V.MARITAL.label("5", "zh-hans") == "未说明的婚姻状况"
    assert len(V.PAYMENT.codes) == 8 and len(V.DISABILITY.codes) == 8
    assert V.FAMILY_DISEASE.label("11", "zh-hans") == "先天畸形"
    assert V.PAST_DISEASE.label("8", "zh-hans") == "严重精神障碍"


def test_labels_follow_the_language():
    with translation.override("en"):
        assert V.ABO.label("4") == "AB"
        assert dict(V.SEX.choices())["1"] == "Male"
    with translation.override("zh-hans"):
        assert dict(V.SEX.choices())["1"] == "男"


def test_lookup_accepts_codes_and_labels():
    assert V.ETHNICITY.lookup("1") == "01"
    assert V.ETHNICITY.lookup("回族") == "03"
    assert V.SEX.lookup("female") == "2"
    assert V.EDUCATION.lookup("不详") == "10"
    assert V.SEX.lookup("外星人") is None


def test_known_id_example():
    # the standard's worked example structure: address 110101, 1990-03-07, sequence 123 (odd → male)
    number = idnumber.make("110101", dt.date(1990, 3, 7), 123)
    assert number[:17] == "11010119900307123"
    info = idnumber.parse(number)
    assert info.birth_date == dt.date(1990, 3, 7) and info.sex == "1"


@settings(max_examples=300, deadline=None)
@given(
    address=st.sampled_from(ADDRESS_CODES),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_parse_back(address, birth, seq):
    number = idnumber.make(address, birth, seq)
    info = idnumber.parse(number, today=dt.date(2025, 1, 1))
    assert info.birth_date == birth
    assert info.sex == ("1" if seq % 2 else "2")
    assert info.address_code == address
    assert idnumber.parse(number.lower(), today=dt.date(2025, 1, 1)).number == number


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(birth, seq, position, delta):
    number = idnumber.make("320506", birth, seq)
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    wrong = "".join(digits)
    with pytest.raises(ValidationError):
        idnumber.parse(wrong, today=dt.date(2025, 1, 1))


@settings(max_examples=200, deadline=None)
@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17) | st.text(
    alphabet="0123456789０１２３４５６７８９", min_size=17, max_size=17))
def test_check_char_is_iso7064(first17):
    """Over ASCII digits (the fast path over the bytes) and other digits Python reads as digits alike."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    assert idnumber.check_char(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize(
    "number,code",
    [
        ("1234", "id_length"),
        ("32050619900307123A", "id_format"),
        ("320506199002301234", "id_birth_date"),
        ("320506209901011234", "id_birth_future"),
        ("320506199003071234", "id_checksum"),
    ],
)
def test_errors_say_what_is_wrong(number, code):
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(number, today=dt.date(2025, 1, 1))
    assert exc.value.code == code


def test_unknown_address_code_is_refused():
    number = idnumber.make("999999", dt.date(1990, 1, 1), 1)
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(number)
    assert exc.value.code == "id_address"


def test_messages_are_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        idnumber.parse("1234")
    assert "身份证" in exc.value.messages[0]


def test_old_15_digit_number():
    info = idnumber.parse("320506900307123")
    assert info.birth_date == dt.date(1990, 3, 7) and info.sex == "1"
