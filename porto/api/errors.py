"""One JSON shape for every error of the API:

    {"error": {"code": "validation_error", "message": "...",
               "fields": {"name": [{"code": "required", "message": "..."}]}}}

``code`` is stable (clients branch on it); ``message`` is in the request's language;
``fields`` is present for field errors only, nested fields named with dots
(``emails.1.address``). DRF's exceptions become this shape in ``api_exception_handler``; a 404
or 500 raised outside a view under /api/ gets it from ``not_found`` and ``server_error``.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

API_PREFIX = "/api/"

# DRF's own codes, renamed to the stable words of this API.
RENAMED_CODES = {
    "parse_error": "malformed_json",
    "throttled": "rate_limited",
    "authentication_failed": "token_invalid",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = gettext_lazy("The request body is too large.")


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used for another request: send a new key for a "
        "new request, or the same body to get the first answer again."
    )


class Conflict(exceptions.APIException):
    """A request the current state refuses; ``code`` names the reason (e.g. has_documents)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The request conflicts with the current state.")


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def field_errors(detail, path: str = "") -> dict[str, list[dict]]:
    """DRF's nested error detail flattened to ``{"a.0.b": [{"code", "message"}]}``."""
    if isinstance(detail, dict):
        found: dict[str, list[dict]] = {}
        for name, value in detail.items():
            if name == api_settings.NON_FIELD_ERRORS_KEY and path:
                found |= field_errors(value, path)  # the nested object's own error
            else:
                found |= field_errors(value, f"{path}.{name}" if path else str(name))
        return found
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        found = {}
        for index, value in enumerate(detail):
            found |= field_errors(value, f"{path}.{index}")
        return found
    items = detail if isinstance(detail, list) else [detail]
    errors = [{"code": getattr(item, "code", "invalid"), "message": str(item)} for item in items]
    return {path or "non_field_errors": errors} if errors else {}


def validation_body(exc: exceptions.ValidationError) -> dict:
    fields = field_errors(exc.detail)
    codes = {error["code"] for errors in fields.values() for error in errors}
    if codes == {"unknown_field"}:
        names = ", ".join(sorted(fields))
        message = _("Unknown fields: %(names)s. Remove them and send the request again.") % {
            "names": names
        }
        return error_body("unknown_field", message, fields)
    if set(fields) == {"non_field_errors"}:
        return error_body("validation_error", fields["non_field_errors"][0]["message"], fields)
    message = _("Some fields are not valid: %(names)s. See each field's message.") % {
        "names": ", ".join(sorted(fields))
    }
    return error_body("validation_error", message, fields)


def message_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.Throttled):
        return _("Too many requests with this token: wait %(seconds)d seconds, then try again.") % {
            "seconds": exc.wait or 1
        }
    if isinstance(exc, exceptions.ParseError):
        return _("The request body is not valid JSON: check its quotes, commas and brackets.")
    if isinstance(exc, exceptions.NotAuthenticated):
        return _(
            "Send an API token in the header 'Authorization: Bearer porto_…'; an owner "
            "creates one in Settings > API tokens."
        )
    if isinstance(exc, exceptions.NotFound):
        return _("Nothing was found here: check the address and the id.")
    return str(exc.detail)


def as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    return exc


def api_exception_handler(exc: Exception, context: dict):
    """DRF's handler (status, headers such as Retry-After and WWW-Authenticate, rollback),
    with the body in the one error shape."""
    exc = as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # an unexpected error: a 500, answered by ``server_error``
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(exc)
    else:
        code = exc.get_codes()
        code = code if isinstance(code, str) else exc.default_code
        response.data = error_body(RENAMED_CODES.get(code, code), message_of(exc))
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        body = error_body("not_found", _("Nothing was found here: check the address and the id."))
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        message = _("Something went wrong on our side: try again in a few minutes.")
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)
