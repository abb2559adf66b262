"""Polling: cursor pages in a stable order, (updated_at, id), and ``updated_since``.

An integrator keeps the ``updated_at`` of the last row it saw and asks again with
``?updated_since=<it>``; or follows ``next`` until it is null. Rows changed meanwhile move
to the end of the order, so nothing is skipped.
"""

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

MAX_LIMIT = 200


class PollingCursorPagination(CursorPagination):
    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            message = _("Give limit as a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT}
            raise ValidationError({"limit": [message]}, code="invalid")
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            message = _("This cursor is not valid: use the next or previous link as given.")
            raise ValidationError({"cursor": [message]}, code="invalid") from error


UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="Only rows changed at or after this moment (ISO 8601, e.g. "
    "2026-12-01T09:30:00Z; without a zone: UTC).",
)


def updated_since(queryset: QuerySet, raw: str | None) -> QuerySet:
    """``queryset`` limited to rows changed at or after ``raw`` (ISO 8601), if given."""
    if raw is None:
        return queryset
    moment = _utc_moment(raw.strip())
    if moment is None:
        message = _("Give updated_since as a date and time in ISO 8601, like 2026-12-01T09:30:00Z.")
        raise ValidationError({"updated_since": [message]}, code="invalid")
    return queryset.filter(updated_at__gte=moment)


def _utc_moment(text: str) -> datetime.datetime | None:
    """``text`` as a moment in UTC, or None. In UTC because databases take fewer offsets than
    Python (PostgreSQL refuses -19:28); None for a moment that does not exist (month 13) or
    falls outside the calendar once in UTC (year 9999 at -05:00)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            return None
        if timezone.is_naive(moment):
            return timezone.make_aware(moment, datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None
