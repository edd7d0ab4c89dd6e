from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jkda.records.models import Resident
from jkda.regions.models import Institution, Staff

DEMO_PASSWORD = "Demo-jkda-2026"


class Command(BaseCommand):
    help = "Migrate, load the synthetic district (scenario S), create demo accounts and serve on 127.0.0.1:8000"

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
        accounts = self.ensure_accounts()
        self.stdout.write(f"\n演示账号 / demo accounts (password: {DEMO_PASSWORD})")
        for username, role, inst in accounts:
            self.stdout.write(f"  {username:<12} {role:<16} {inst}")
        if not opts["no_serve"]:
            call_command("serve", host=opts["host"], port=opts["port"])

    def ensure_accounts(self):
        centre = Institution.objects.filter(kind="chc", active=True).order_by("code").first()
        station = Institution.objects.filter(kind="chs", parent=centre).order_by("code").first() if centre else None
        bureau = Institution.objects.filter(kind="bureau").order_by("path").last()
        if centre is None:
            raise CommandError("合成数据中没有社区卫生服务中心 / no community health service centre in the data")
        wanted = [
            ("doctor", Staff.Role.DOCTOR, centre, "演示医生"),
            ("manager", Staff.Role.RECORD_MANAGER, centre, "演示档案管理员"),
            ("station", Staff.Role.DOCTOR, station or centre, "演示站点医生"),
            ("bureau", Staff.Role.BUREAU, bureau or centre, "演示卫健局"),
        ]
        out = []
        for username, role, inst, name in wanted:
            user, _created = Staff.objects.get_or_create(
                username=username, defaults={"role": role, "institution": inst, "full_name": name})
            user.set_password(DEMO_PASSWORD)
            user.save()
            out.append((username, user.get_role_display(), user.institution))
        admin, _created = Staff.objects.get_or_create(
            username="admin", defaults={"role": Staff.Role.SYSADMIN, "is_staff": True, "is_superuser": True,
                                        "full_name": "系统管理员"})
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        out.append(("admin", admin.get_role_display(), "-"))
        return out
