"""Fill msgstr of a .po file from a JSON dict {msgid: msgstr} (plural: {msgid: [str0]}), then report what is left.

    .venv/bin/python tools/fill_po.py src/jkda/locale/zh_Hans/LC_MESSAGES/django.po translations.json
"""

import json
import sys

import polib

po = polib.pofile(sys.argv[1])
table = json.load(open(sys.argv[2], encoding="utf-8")) if len(sys.argv) > 2 else {}
for e in po:
    if e.obsolete or e.msgid not in table:
        continue
    value = table[e.msgid]
    if e.msgid_plural:
        e.msgstr_plural = {0: value[0] if isinstance(value, list) else value}
    else:
        e.msgstr = value
    if "fuzzy" in e.flags:
        e.flags.remove("fuzzy")
po.save()
left = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
print(f"{len(left)} untranslated")
for m in left:
    print("  ", repr(m))
sys.exit(1 if left else 0)
