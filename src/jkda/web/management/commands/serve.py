from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app and API with waitress (a production WSGI server): jkda serve [--host] [--port]"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **opts):
        from waitress import serve

        from jkda.wsgi import application

        self.stdout.write(f"jkda: http://{opts['host']}:{opts['port']}/  (API docs /api/docs)  Ctrl-C to stop")
        serve(application, host=opts["host"], port=opts["port"], threads=opts["threads"])
