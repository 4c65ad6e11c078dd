"""The API is open to other origins for reading (other sites may show our data)."""

from django.http import HttpResponse

API_PREFIX = "/api/"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class OpenApiCorsMiddleware:
    """Any origin may read the API (no credentials: it is anonymous); nothing else is shared."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) or request.method not in READ_METHODS:
            return self.get_response(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        response["Access-Control-Allow-Origin"] = "*"
        return response
