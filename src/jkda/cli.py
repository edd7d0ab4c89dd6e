"""The `jkda` command: Django's management commands under one name.

    jkda demo | serve | migrate | synth | import | createuser | token | <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    from django.core.management import execute_from_command_line

    if len(argv) < 2:
        argv.append("help")
    execute_from_command_line(["jkda", *argv[1:]])


if __name__ == "__main__":
    main()
