"""Pinyin of names, for search by full pinyin or initials (zsf / zhangsanfeng → 张三丰)."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS

try:  # pypinyin's phrase segmenter: its set of every prefix of every phrase it knows
    from pypinyin.seg.mmseg import seg as _SEGMENTER

    _PREFIXES = _SEGMENTER._prefix_set
    _PREFIXES.__contains__  # noqa: B018 - fail here, not per name, when a later pypinyin changes this
except (ImportError, AttributeError):  # pragma: no cover - then every name takes pypinyin's whole-name path
    _PREFIXES = None


@functools.lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    return "".join(lazy_pinyin(char, style=Style.NORMAL, errors="ignore")).lower()


# Surnames read differently from the character's common reading (曾 is zeng as a surname, not ceng).
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "仇": "qiu", "区": "ou", "解": "xie", "查": "zha", "朴": "piao", "乐": "yue",
    "召": "shao", "缪": "miao", "覃": "qin", "盖": "ge", "翟": "zhai", "种": "chong", "秘": "bi",
    "尉": "yu", "繁": "po", "员": "yun",
}
COMPOUND_SURNAMES = {"万俟": ["mo", "qi"], "尉迟": ["yu", "chi"], "单于": ["chan", "yu"]}


def _keep_chars(chars: str) -> list[str]:
    return list(chars)


def _clean(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


@functools.lru_cache(maxsize=16384)
def _syllable(char: str) -> str:
    """What `_words` gives for one character standing alone (a Chinese character's first reading; other characters
    as themselves, lower-case, when they are letters or digits)."""
    if RE_HANS.match(char):
        return "".join(_clean(w) for w in lazy_pinyin(char, style=Style.NORMAL, errors=_keep_chars))
    return _clean(char)


def _words(name: str) -> list[str]:
    """The syllables pypinyin gives for `name`, lower-case letters and digits only, empty ones dropped.

    pypinyin cuts a run of Chinese characters into the longest phrases of its dictionary and reads each phrase as a
    whole. When no two neighbouring characters begin a phrase, every character is its own word and is read as it
    is read alone: then the readings come from a per-character cache (the same result, a tenth of the time)."""
    prefixes = _PREFIXES
    if prefixes is None:
        return _words_uncached(name)
    for i in range(len(name) - 1):
        if name[i:i + 2] in prefixes:
            return _words_uncached(name)
    return [s for s in map(_syllable, name) if s]


def _words_uncached(name: str) -> list[str]:
    out = []
    for word in lazy_pinyin(name, style=Style.NORMAL, errors=_keep_chars):
        word = _clean(word)
        if word:
            out.append(word)
    return out


def _split_surname(name: str) -> tuple[list[str], str]:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return COMPOUND_SURNAMES[name[:2]], name[2:]
    if len(name) >= 2 and name[0] in SURNAME_READINGS:
        return [SURNAME_READINGS[name[0]]], name[1:]
    return [], name


@functools.lru_cache(maxsize=65536)
def pinyin_of(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case, without separators; surnames by their surname reading."""
    if not name:
        return "", ""
    head, rest = _split_surname(name)
    syllables = head + _words(rest)
    return "".join(syllables), "".join([s[0] for s in syllables])


def pinyin_of_uncached(name: str) -> tuple[str, str]:
    """pinyin_of through pypinyin's whole-name path every time (the reference the fast path is tested against)."""
    if not name:
        return "", ""
    head, rest = _split_surname(name)
    syllables = head + _words_uncached(rest)
    return "".join(syllables), "".join(s[0] for s in syllables)
