"""Pinyin of names, for search by full pinyin or initials (zsf / zhangsanfeng → 张三丰)."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin


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


def pinyin_of(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case, without separators; surnames by their surname reading."""
    if not name:
        return "", ""
    syllables = []
    head: list[str] = []
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        head, name = COMPOUND_SURNAMES[name[:2]], name[2:]
    elif len(name) >= 2 and name[0] in SURNAME_READINGS:
        head, name = [SURNAME_READINGS[name[0]]], name[1:]
    syllables.extend(head)
    for word in lazy_pinyin(name, style=Style.NORMAL, errors=lambda chars: [c for c in chars]):
        word = "".join(c for c in word.lower() if c.isalnum())
        if word:
            syllables.append(word)
    return "".join(syllables), "".join(s[0] for s in syllables)
