"""jkda synth --scenario S|M|L --seed N [--residents N] [--as-of YYYY-MM-DD]"""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from jkda.synth.generator import SCENARIOS, SynthError, generate


class Command(BaseCommand):
    help = ("生成确定性的合成城市（机构、人口基数、居民、家庭、档案）/ Generate the deterministic synthetic city "
            "(institutions, population base data, residents, households, records) into an empty database.")

    def add_arguments(self, parser):
        parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="S",
                            help="S: one district, 20k residents; M: 200k; L: a city of 2M residents, ~200 "
                                 "institutions")
        parser.add_argument("--seed", type=int, default=1, help="same seed, size and date: the same data")
        parser.add_argument("--residents", type=int, default=None,
                            help="number of residents instead of the scenario's (e.g. small for tests)")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="reference date (default today): ages, establishment and closing dates are "
                                 "relative to it")
        parser.add_argument("--chunk-size", type=int, default=20_000, help="residents written per transaction")

    def handle(self, *args, **opts):
        verbosity = opts.get("verbosity", 1)
        scenario = opts["scenario"]
        size = opts["residents"] if opts["residents"] is not None else SCENARIOS[scenario].residents
        bar = None
        progress = None
        if verbosity >= 1:
            self.stdout.write(f"合成城市 / synthetic city: scenario {scenario}, seed {opts['seed']}, "
                              f"{size:,} residents")
            if self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty():
                from tqdm import tqdm

                bar = tqdm(total=size, unit=" residents", unit_scale=True, file=sys.stdout)
                progress = bar.update
            else:
                state = {"done": 0, "next": max(1, size // 10)}

                def progress(n):
                    state["done"] += n
                    if state["done"] >= state["next"] or state["done"] == size:
                        self.stdout.write(f"  {state['done']:,} / {size:,} residents")
                        while state["next"] <= state["done"]:
                            state["next"] += max(1, size // 10)

        try:
            summary = generate(scenario, opts["seed"], residents=opts["residents"], as_of=opts["as_of"],
                               chunk_size=opts["chunk_size"], progress=progress)
        except SynthError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        if verbosity >= 1:
            s = summary
            rate = (s.rows() + sum(s.services.values())) / s.seconds if s.seconds else 0
            self.stdout.write(
                f"完成 / done in {s.seconds:.1f} s: {s.institutions} institutions, {s.staff} staff, "
                f"{s.divisions} divisions, {s.residents:,} residents, {s.records:,} records "
                f"({s.closed_records:,} closed), {s.households:,} households, {s.population_rows} population rows "
                f"({rate:,.0f} rows/s)"
            )
            if s.services:
                self.stdout.write("服务与项目 / services and programs: "
                                  + ", ".join(f"{k} {v:,}" for k, v in s.services.items()))
            if s.demo_usernames:
                self.stdout.write("演示账号（尚无密码）/ demo accounts (no password yet): "
                                  + ", ".join(s.demo_usernames))
