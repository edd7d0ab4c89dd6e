"""The jkda command line: createuser, token, settings."""

import subprocess
import sys

import pytest
from django.conf import settings as dj_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jkda.regions.models import Staff


def test_createuser(city, capsys):
    call_command("createuser", "newdoc", role="doctor", institution=city.station.code, password="Strong-pass-2026",
                 full_name="新医生")
    user = Staff.objects.get(username="newdoc")
    assert user.institution == city.station and user.role == "doctor" and user.check_password("Strong-pass-2026")
    assert "newdoc" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,message", [
    ({"institution": "NOPE", "password": "Strong-pass-2026"}, "NOPE"),
    ({"institution": "C001", "password": "123"}, ""),
    ({"password": "Strong-pass-2026"}, "institution"),
])
def test_createuser_errors_are_messages(city, kwargs, message):
    with pytest.raises(CommandError) as exc:
        call_command("createuser", "x1", role="doctor", **kwargs)
    assert message in str(exc.value)
    assert not Staff.objects.filter(username="x1").exists()


def test_createuser_generates_a_password_without_a_terminal(city, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    monkeypatch.delenv("JKDA_PASSWORD", raising=False)
    call_command("createuser", "gen", role="record_manager", institution=city.centre.code)
    out = capsys.readouterr().out
    password = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert Staff.objects.get(username="gen").check_password(password)


def test_token_for_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("token", "nobody")


def test_argon2_is_the_production_hasher():
    from jkda import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert dj_settings.AUTH_USER_MODEL == "regions.Staff"


@pytest.mark.django_db
def test_database_configuration():
    """SQLite runs in WAL mode with immediate transactions; otherwise it is PostgreSQL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            assert cur.fetchone()[0].lower() == "wal"
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert connection.vendor == "postgresql"


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "jkda.cli", "help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for command in ("createuser", "token", "serve", "demo"):
        assert command in out.stdout
