"""When the database is unreachable, pages answer 503 with a plain message instead of a 500 with a traceback.

Django closes a connection that raised at the end of the request (``close_old_connections``), so the next request
connects afresh: the portal recovers by itself once the database is back, with no restart.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
OUTAGE_MESSAGE = (
    "The CRBN Portal cannot reach its database at the moment. Nothing you did caused this and nothing was lost; "
    "please try again in a minute."
)
OUTAGE_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable - CRBN Portal</title></head>
<body><main><h1>Temporarily unavailable</h1><p>{OUTAGE_MESSAGE}</p></main></body></html>
"""


def outage_response() -> HttpResponse:
    response = HttpResponse(OUTAGE_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """Turns a lost database (OperationalError, InterfaceError) raised by a view or its template into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # One line, no traceback: an outage floods the log otherwise; the database's own log has the cause.
        logger.error("Database unavailable while serving %s: %s", request.path, str(exception).strip())
        return outage_response()
