"""`jkda notice`: the official notice on one indicator, written as notice.docx, notice.xlsx and notice.json; with
--all, the month's round: a notice for every indicator with a target (DIR/<indicator>/notice.*) and a summary
(DIR/summary.json, DIR/summary.xlsx)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.indicators.notices.monthly import monthly_notices
from jkda.indicators.notices.notice import NoticeError, build_notice
from jkda.indicators.notices.render import render_docx, render_summary_xlsx, render_xlsx
from jkda.regions.models import Division


class Command(BaseCommand):
    help = ("Write the notice (通报) on an indicator: DIR/notice.docx, DIR/notice.xlsx and DIR/notice.json, e.g. "
            "jkda notice --indicator electronic_record_rate --period 2026 --level district --target 60 "
            "--criticize-below 30 --out DIR; the month's round for every indicator with a target: "
            "jkda notice --all --period 2026-11-ytd --level district --out DIR")

    def add_arguments(self, parser):
        parser.add_argument("--indicator", help="indicator code (jkda indicators --list)")
        parser.add_argument("--all", action="store_true", help="every indicator with a target for the scope: the "
                            "target line is the milestone due by the period's last month")
        parser.add_argument("--period", required=True, help="2026, 2026H1, 2026Q3, 2026-05, 2026-ytd ...")
        parser.add_argument("--level", default="district",
                            help="district (= county), township (= street), institution or city")
        parser.add_argument("--target", help="target in percent (0-100), e.g. 60 (not with --all)")
        parser.add_argument("--criticize-below", dest="criticize_below",
                            help="institutions below this percentage are named for criticism, e.g. 30 (with --all: "
                            "default half of each target line, JKDA_NOTICE_CRITICIZE_SHARE)")
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
        document = {"number": opts["number"], "issuer": opts["issuer"], "addressees": opts["addressees"],
                    "deadline": opts["deadline"] or None, "date": opts["date"] or None}
        if opts["all"]:
            if opts["indicator"] or opts["target"]:
                raise CommandError(_("--all takes each indicator's target from the targets: leave out --indicator "
                                     "and --target."))
            return self.write_round(opts, within, out, document)
        missing = [f"--{name}" for name in ("indicator", "target", "criticize_below") if not opts[name]]
        if missing:
            raise CommandError(_("Give %(options)s (or --all for every indicator with a target).")
                               % {"options": ", ".join(m.replace("_", "-") for m in missing)})
        try:
            notice = build_notice(opts["indicator"], opts["period"], opts["level"], opts["target"],
                                  opts["criticize_below"], within, **document)
        except NoticeError as exc:
            raise CommandError(str(exc)) from None
        write_files(out, notice_files(notice))
        self.stdout.write(_one_line(notice, out))

    def write_round(self, opts, within, out: Path, document: dict) -> None:
        try:
            done = monthly_notices(opts["period"], opts["level"], criticize_below=opts["criticize_below"],
                                   within=within, **document)
        except NoticeError as exc:
            raise CommandError(str(exc)) from None
        summary = done.summary()
        files = {f"{n['indicator']}/{name}": data for n in done.notices for name, data in notice_files(n).items()}
        files["summary.json"] = json.dumps(summary, ensure_ascii=False, indent=1).encode()
        files["summary.xlsx"] = render_summary_xlsx(summary)
        write_files(out, files)
        for n in done.notices:
            self.stdout.write(_one_line(n, out / n["indicator"]))
        if done.without_target:
            self.stdout.write(_("No target for %(scope)s in %(year)d, no notice: %(codes)s.") % {
                "scope": done.scope_name, "year": done.period.end.year,
                "codes": ", ".join(r["indicator"] for r in done.without_target)})
        self.stdout.write(_("%(n)d notices and the summary written to %(out)s.") % {"n": len(done.notices),
                                                                                  "out": out})


def notice_files(notice: dict) -> dict[str, bytes]:
    return {
        "notice.docx": render_docx(notice),
        "notice.xlsx": render_xlsx(notice),
        "notice.json": json.dumps(notice, ensure_ascii=False, indent=1).encode(),
    }


def write_files(out: Path, files: dict[str, bytes]) -> None:
    """Everything is rendered before anything is written; each file replaces its old version at once."""
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(path)


def _one_line(notice: dict, out: Path) -> str:
    c = notice["counts"]
    return (_("%(title)s: %(areas_met)d of %(areas)d areas and %(inst_met)d of %(insts)d institutions met the "
              "target; %(criticized)d criticised. Written to %(out)s.")
            % {"title": notice["document"]["title"], "areas_met": c["areas_met"], "areas": c["areas"],
               "inst_met": c["institutions_met"], "insts": c["institutions_with_population"],
               "criticized": c["criticized"], "out": out})
