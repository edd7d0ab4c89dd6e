from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = ("Serve the web app and API with waitress (a production WSGI server): jkda serve [--host] [--port] "
            "[--threads N] [--workers N]")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="request threads per process (default 8)")
        parser.add_argument("--workers", type=int, default=1,
                            help="server processes sharing the port (default 1; as many as the machine has cores "
                                 "lets Python use all of them; Linux only)")

    def handle(self, *args, **opts):
        from jkda.web import server

        if opts["workers"] < 1 or opts["threads"] < 1:
            raise CommandError(_("--workers and --threads must be at least 1."))
        from jkda.exchange.indexes import restore_if_idle

        restore_if_idle(say=self.stdout.write)  # what an import that was killed left suspended
        application = server.load_application()
        self.stdout.write(f"jkda: http://{opts['host']}:{opts['port']}/  (API docs /api/docs)  Ctrl-C to stop")
        try:
            if opts["workers"] == 1:
                server.serve_single(application, host=opts["host"], port=opts["port"], threads=opts["threads"])
                return
            status = server.serve_forked(application, host=opts["host"], port=opts["port"], threads=opts["threads"],
                                         workers=opts["workers"], say=lambda m: self.stdout.write(m))
        except server.ServerError as exc:
            raise CommandError(str(exc)) from exc
        if status:
            raise CommandError(_("The server stopped because its workers kept failing."))
