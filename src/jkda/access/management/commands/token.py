from django.core.management.base import BaseCommand, CommandError

from jkda.access.models import ApiToken
from jkda.regions.models import Staff


class Command(BaseCommand):
    help = "Issue an API token for a user (shown once): jkda token USERNAME"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="")

    def handle(self, *args, **opts):
        user = Staff.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在 / no such user: {opts['username']}")
        if not user.is_active:
            raise CommandError(f"账号已停用 / account is deactivated: {opts['username']}")
        self.stdout.write(ApiToken.issue(user, label=opts["label"]))
