import getpass
import os
import secrets
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jkda.access.accounts import create_staff
from jkda.regions.models import Staff


def _generated_password() -> str:
    """16 random characters with every character class (the password rules ask for a mix)."""
    from jkda.access.passwords import CharacterClassesValidator

    while True:
        password = secrets.token_urlsafe(12) + secrets.choice("!#%+-=@")
        if CharacterClassesValidator(4).count(password) == 4:
            return password


class Command(BaseCommand):
    help = "Create a staff account: jkda createuser USERNAME --role doctor --institution CODE"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Staff.Role.values)
        parser.add_argument("--institution", help="institution code (required except for administrators)")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--password", help="the password; else $JKDA_PASSWORD, a prompt, or a generated one")

    def handle(self, *args, **opts):
        password = opts["password"] or os.environ.get("JKDA_PASSWORD")
        generated = False
        if not password:
            if sys.stdin.isatty():
                password = getpass.getpass("密码 / Password: ")
                if password != getpass.getpass("再次输入 / Again: "):
                    raise CommandError("两次输入的密码不一致 / The passwords differ.")
            else:
                password = _generated_password()
                generated = True
        try:
            user = create_staff(opts["username"], role=opts["role"], institution_code=opts["institution"],
                                password=password, full_name=opts["full_name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"created {user.username} ({user.get_role_display()}, {user.institution or '-'})")
        if generated:
            self.stdout.write(f"password: {password}")
