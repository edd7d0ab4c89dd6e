"""`jkda notice`: the official notice on one indicator, written as notice.docx, notice.xlsx and notice.json."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.indicators.notices.notice import NoticeError, build_notice
from jkda.indicators.notices.render import render_docx, render_xlsx
from jkda.regions.models import Division


class Command(BaseCommand):
    help = ("Write the notice (通报) on an indicator: DIR/notice.docx, DIR/notice.xlsx and DIR/notice.json, e.g. "
            "jkda notice --indicator electronic_record_rate --period 2026 --level district --target 60 "
            "--criticize-below 30 --out DIR")

    def add_arguments(self, parser):
        parser.add_argument("--indicator", required=True, help="indicator code (jkda indicators --list)")
        parser.add_argument("--period", required=True, help="2026, 2026H1, 2026Q3, 2026-05, 2026-ytd ...")
        parser.add_argument("--level", default="district",
                            help="district (= county), township (= street), institution or city")
        parser.add_argument("--target", required=True, help="target in percent (0-100), e.g. 60")
        parser.add_argument("--criticize-below", required=True, dest="criticize_below",
                            help="institutions below this percentage are named for criticism, e.g. 30")
        parser.add_argument("--out", required=True, help="directory to write the three files to")
        parser.add_argument("--within", help="division code: only the areas and institutions inside it")
        parser.add_argument("--number", default="", help="document number, e.g. 苏卫基层〔2026〕12号")
        parser.add_argument("--issuer", default="", help="issuing office (default: the city health bureau)")
        parser.add_argument("--addressees", default="", help="addressees (default: 各区（县）卫生健康委员会)")
        parser.add_argument("--deadline", default="", help="rectification deadline YYYY-MM-DD (default: the last "
                            "day of the month after next)")
        parser.add_argument("--date", default="", help="date of the notice YYYY-MM-DD (default: today)")

    def handle(self, *args, **opts):
        within = None
        if opts["within"]:
            within = Division.objects.filter(code=opts["within"].strip()).first()
            if within is None:
                raise CommandError(_("No division with code %(code)s.") % {"code": opts["within"]})
        out = Path(opts["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s is not a directory.") % {"path": out})
        try:
            notice = build_notice(opts["indicator"], opts["period"], opts["level"], opts["target"],
                                  opts["criticize_below"], within, number=opts["number"], issuer=opts["issuer"],
                                  addressees=opts["addressees"], deadline=opts["deadline"] or None,
                                  date=opts["date"] or None)
        except NoticeError as exc:
            raise CommandError(str(exc)) from None
        files = {
            "notice.docx": render_docx(notice),
            "notice.xlsx": render_xlsx(notice),
            "notice.json": json.dumps(notice, ensure_ascii=False, indent=1).encode(),
        }
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():  # everything rendered before anything is written
            tmp = out / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(out / name)
        c = notice["counts"]
        self.stdout.write(_("%(title)s: %(areas_met)d of %(areas)d areas and %(inst_met)d of %(insts)d institutions "
                            "met the target; %(criticized)d criticised. Written to %(out)s.")
                          % {"title": notice["document"]["title"], "areas_met": c["areas_met"], "areas": c["areas"],
                             "inst_met": c["institutions_met"], "insts": c["institutions_with_population"],
                             "criticized": c["criticized"], "out": out})
