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
