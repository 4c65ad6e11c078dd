"""The language of a response comes from its address alone."""

from django.middleware.locale import LocaleMiddleware
from django.utils.cache import cc_delim_re


class UrlLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, without `Vary: Accept-Language`.

    With `i18n_patterns(prefix_default_language=False)`, LocaleMiddleware reads the language
    from the path and falls back to LANGUAGE_CODE on unprefixed paths — never to the cookie
    or the browser's languages — yet it still marks unprefixed responses as varying with
    Accept-Language, which would make shared caches keep one copy per browser language of
    pages that are the same for all.
    """

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.has_header("Vary"):
            kept = [
                field
                for field in cc_delim_re.split(response["Vary"])
                if field and field.lower() != "accept-language"
            ]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
