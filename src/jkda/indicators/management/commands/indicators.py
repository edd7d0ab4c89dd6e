"""`jkda indicators`: list the catalogue, print indicators' figures for a period at a level, or bring the facts
table up to date (`jkda indicators refresh [--full] [--year 2026]`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.indicators import engine
from jkda.indicators.cli import request_from, write_tables


class Command(BaseCommand):
    help = "List the indicator codes, or compute indicators for a period and level."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["refresh"],
                            help="refresh: recompute the out-of-date facts (the precomputed figures)")
        parser.add_argument("--full", action="store_true", help="with refresh: rebuild every month of the years")
        parser.add_argument("--year", type=int, action="append", default=[],
                            help="with refresh: the years to refresh (repeatable; default: the kept years)")
        parser.add_argument("--list", action="store_true", help="print the catalogue's codes and names")
        parser.add_argument("--indicator", action="append", default=[], help="indicator code (repeatable; "
                            "default: all)")
        parser.add_argument("--period", help="2026, 2026H1, 2026Q3, 2026-05, 2026-ytd, 2026-05-ytd, "
                            "2026-03-01..2026-04-15")
        parser.add_argument("--level", default="county", choices=engine.LEVELS)
        parser.add_argument("--within", help="division code to limit the units to (e.g. a district)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **opts):
        if opts["action"] == "refresh":
            return self.refresh(opts)
        if opts["list"]:
            for ind in engine.all_indicators():
                self.stdout.write(f"{ind.code}\t{ind.name}")
            return
        if not opts["period"]:
            raise CommandError(_("Give --period (or --list)."))
        period, codes, within = request_from(opts)
        write_tables(self.stdout, engine.compute(codes, period, opts["level"], within), period, opts["json"])

    def refresh(self, opts):
        from jkda.indicators import facts

        for year in opts["year"]:
            if not 2000 <= year <= 2100:
                raise CommandError(_("The year must be between 2000 and 2100."))
        result = facts.refresh(full=opts["full"], years=opts["year"] or None)
        months = ", ".join(f"{y}-{m:02d}" for y, m, _n in result.months) or "—"
        self.stdout.write(_("Facts refreshed%(full)s: %(cells)d institution-months (%(facts)d figures) in %(s).1f s; "
                            "months: %(months)s; marks cleared: %(marks)d.") % {
            "full": _(" (full rebuild)") if result.full else "", "cells": result.cells, "facts": result.facts,
            "s": result.seconds, "months": months, "marks": result.marks})
