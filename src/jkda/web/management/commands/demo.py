from django.core.management import call_command
from django.core.management.base import BaseCommand

from jkda.records.models import Resident
from jkda.regions.models import Staff
from jkda.synth.generator import demo_usernames

DEMO_PASSWORD = "Demo-jkda-2026"


class Command(BaseCommand):
    help = "Migrate, load the synthetic district (scenario S), print the demo accounts and serve on 127.0.0.1:8000"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and accounts only")

    def handle(self, *args, **opts):
        call_command("migrate", verbosity=0)
        if not Resident.objects.exists():
            self.stdout.write("生成合成数据（情景 S）/ generating the synthetic district (scenario S) ...")
            call_command("synth", scenario="S", seed=opts["seed"])
        # synth bulk-loads without signals: compute this year's indicator facts where they are missing or out of
        # date (the next plain `jkda indicators refresh` adds the earlier kept years)
        from jkda.indicators.periods import today

        self.stdout.write("计算指标预计算数据 / computing the indicator facts ...")
        call_command("indicators", "refresh", year=[today().year], stdout=self.stdout)
        self.stdout.write(f"\n演示账号 / demo accounts (password: {DEMO_PASSWORD})")
        for user in self.ensure_accounts():
            self.stdout.write(f"  {user.username:<14} {user.get_role_display():<12} {user.institution or '-'}")
        if not opts["no_serve"]:
            call_command("serve", host=opts["host"], port=opts["port"])

    def ensure_accounts(self) -> list[Staff]:
        """The generator's demo accounts get the demo password; a system administrator is added."""
        users = list(Staff.objects.filter(username__in=demo_usernames()).select_related("institution"))
        admin, _created = Staff.objects.get_or_create(
            username="demo_admin", defaults={"role": Staff.Role.SYSADMIN, "is_staff": True, "is_superuser": True,
                                             "full_name": "系统管理员"})
        for user in [*users, admin]:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return sorted([*users, admin], key=lambda u: u.username)
