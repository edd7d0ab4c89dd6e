"""The fast paths of the bulk import give exactly what the plain paths give."""

from __future__ import annotations

import datetime as dt
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from jkda.codes import idnumber
from jkda.exchange import fastsql
from jkda.exchange import residents as imp
from jkda.exchange.residents import Row
from jkda.records import names
from jkda.records.models import Resident
from jkda.records.rules import check_resident

from .conftest import make_id

COMMON = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡伟芳娜敏静丽强磊军洋勇艳"
# characters that begin phrases in pypinyin's dictionary (重庆, 银行, 长江 ...), surnames with their own readings,
# compound surnames, and characters that are not Chinese
TRICKY = "重庆银行长江北京乐单解查区尉迟万俟单于朴覃·-ÀａA1 İß〇々"


def reference_pinyin(name: str) -> tuple[str, str]:
    """pinyin_of as it was before the fast path: pypinyin on the whole name, every time."""
    if not name:
        return "", ""
    syllables = []
    if len(name) >= 3 and name[:2] in names.COMPOUND_SURNAMES:
        syllables, name = list(names.COMPOUND_SURNAMES[name[:2]]), name[2:]
    elif len(name) >= 2 and name[0] in names.SURNAME_READINGS:
        syllables, name = [names.SURNAME_READINGS[name[0]]], name[1:]
    for word in lazy_pinyin(name, style=Style.NORMAL, errors=lambda chars: [c for c in chars]):
        word = "".join(c for c in word.lower() if c.isalnum())
        if word:
            syllables.append(word)
    return "".join(syllables), "".join(s[0] for s in syllables)


name_chars = st.one_of(st.sampled_from(COMMON), st.sampled_from(TRICKY),
                       st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                       st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF), st.characters())


@settings(max_examples=3000, deadline=None)
@given(st.text(name_chars, max_size=6))
def test_cached_pinyin_equals_pypinyin_on_the_whole_name(name):
    assert names.pinyin_of(name) == reference_pinyin(name)
    assert names.pinyin_of_uncached(name) == reference_pinyin(name)


def test_cached_pinyin_on_many_random_names_and_phrases():
    rng = random.Random(7)
    pool = COMMON + TRICKY + "".join(chr(c) for c in range(0x4E00, 0x9FA5, 97))
    samples = ["重庆", "张重庆", "曾银行", "长江", "李长江", "万俟长江", "单于", "欧阳娜娜", "王 芳", "Zhang三"]
    samples += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 5))) for _ in range(5000)]
    names.pinyin_of.cache_clear()
    for _round in range(2):  # the second round comes from the name cache
        for name in samples:
            assert names.pinyin_of(name) == reference_pinyin(name), name
    assert names.pinyin_of("张重庆") == ("zhangchongqing", "zcq")


@settings(max_examples=500, deadline=None)
@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_char_equals_the_plain_sum(first17):
    total = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS, strict=True))
    assert idnumber.check_char(first17) == idnumber.CHECK_CHARS[total % 11]


def test_check_char_refuses_a_wrong_length():
    with pytest.raises(ValueError):
        idnumber.check_char("123")


@pytest.mark.django_db
@pytest.mark.parametrize("over", [
    {}, {"birth_date": dt.date(2090, 1, 1)}, {"id_number": "110101199003070000"}, {"phone": "12"},
    {"payment": ["99"], "drug_allergy": ["5"]},
    {"past_diseases": [{"code": "2", "date": "2099-01"}], "operations": [{"name": "x"}]},
])
def test_check_resident_with_today_given_equals_without(over):
    id_number = make_id(birth=dt.date(1980, 5, 1))

    def resident():
        r = Resident(name="张三", id_number=id_number, current_address="x",
                     residence_type="1", phone="13912345678")
        for k, v in over.items():
            setattr(r, k, v)
        return r

    a, b = resident(), resident()
    assert check_resident(a) == check_resident(b, imp.today())
    assert (a.id_number, a.birth_date, a.sex) == (b.id_number, b.birth_date, b.sex)


def test_row_pickles_as_a_tuple_and_back():
    row = Row(number=3, cells=None, res_row=[1, "a", None], id_number="x", name="张三", record_number="",
              institution_id=1, village_id=2, village_code="320506001001", established_on=dt.date(2024, 1, 2),
              doctor_id=None, doctor_name="", key="i:x", key_column="id_number", assigned="n")
    back = pickle.loads(pickle.dumps(row))
    assert back == row and isinstance(back, Row)


_COPY_UNESCAPE = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def _copy_fields(line: str) -> list:
    """COPY's text format read back: fields split at tabs, \\N for NULL, backslash escapes undone."""
    out = []
    for field in line.split("\t"):
        if field == "\\N":
            out.append(None)
            continue
        text, i = [], 0
        while i < len(field):
            if field[i] == "\\":
                text.append(_COPY_UNESCAPE[field[i + 1]])
                i += 2
            else:
                text.append(field[i])
                i += 1
        out.append("".join(text))
    return out


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00")),
                          st.sampled_from(["\\", "\\N", "\t", "\r\n", "a\\tb"]), st.integers(), st.dates(),
                          st.booleans()), min_size=1, max_size=12))
def test_copy_line_reads_back_as_the_values(values):
    line = fastsql.copy_line(values)
    expected = [v if v is None or type(v) is str else
                ("t" if v else "f") if type(v) is bool else v.isoformat() if isinstance(v, dt.date) else str(v)
                for v in values]
    assert "\n" not in line and "\r" not in line
    assert _copy_fields(line) == expected
