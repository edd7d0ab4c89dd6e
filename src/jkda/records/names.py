"""Pinyin of names, for search by full pinyin or initials (zsf / zhangsanfeng → 张三丰)."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    return "".join(lazy_pinyin(char, style=Style.NORMAL, errors="ignore")).lower()


def pinyin_of(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case, without separators."""
    if not name:
        return "", ""
    syllables = []
    for word in lazy_pinyin(name, style=Style.NORMAL, errors=lambda chars: [c for c in chars]):
        word = "".join(c for c in word.lower() if c.isalnum())
        if word:
            syllables.append(word)
    return "".join(syllables), "".join(s[0] for s in syllables)
