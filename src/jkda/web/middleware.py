"""Chinese unless the user chose otherwise.

Clinic PCs often run an English-language browser; the system still speaks Simplified Chinese unless the user
picked English with the language switch (Django's language cookie). Runs before LocaleMiddleware.
"""

from django.conf import settings


class ChineseByDefaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """Refuse text holding the NUL character (U+0000) in a query string, a form or a JSON body, before any view
    sees it: no field of the health record can hold one, and PostgreSQL refuses it in text columns and queries
    (a server error instead of a message). Uploaded files are not looked at (an XLSX file holds NUL bytes).
    The API answers 422 in its JSON error shape, pages 400 with the message."""

    JSON_NUL = (b"\\u0000", b"\x00")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            message = _("The text contains a NUL character (U+0000), which no field can hold: remove it and send "
                        "again.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "validation", "errors": {"__all__": [message]}}, status=422)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _has_nul(self, request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/json"):
            return any(marker in request.body for marker in self.JSON_NUL)
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return any("\x00" in value for values in request.POST.lists() for value in values[1])
        return False
