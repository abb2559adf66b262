"""The emails of a company through the API: a document's emails, all of them (for polling with
``updated_since``), one email, and Update status (the button's window and cooldown rules)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from porto.api.emails import email_get, email_list
from porto.api.errors import Conflict
from porto.api.pagination import UPDATED_SINCE, PollingCursorPagination, updated_since
from porto.api.serializers.emails import EmailOutput
from porto.api.views.base import CompanyAPIView
from porto.documents.models import Document
from porto.mail.feedback.refresh.services import email_refresh_request
from porto.mail.feedback.tasks import refresh_on_commit
from porto.mail.models import OutgoingEmail
from porto.mail.providers.base.status import RefreshRefused

TAGS = ["emails"]


class TooSoon(APIException):
    """Update status asked again within its cooldown."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "refresh_cooldown"

    def __init__(self, message: str, *, code: str, wait: int) -> None:
        super().__init__(message, code=code)
        self.wait = wait  # DRF's handler sends it as Retry-After


class EmailPage(CompanyAPIView):
    pagination_class = PollingCursorPagination

    def page_of(self, emails) -> Response:
        emails = updated_since(emails, self.request.query_params.get("updated_since"))
        page = self.paginate_queryset(emails)
        return self.get_paginated_response(EmailOutput(page, many=True).data)


class EmailList(EmailPage):
    @extend_schema(
        tags=TAGS,
        operation_id="emails_list",
        description="Every email of the company, oldest change first: poll with "
        "updated_since to see each status change.",
        parameters=[UPDATED_SINCE],
        responses=EmailOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        return self.page_of(email_list(self.company))


class DocumentEmails(EmailPage):
    @extend_schema(
        tags=TAGS,
        operation_id="documents_emails_list",
        description="The emails sent for one document.",
        parameters=[UPDATED_SINCE],
        responses=EmailOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(Document.objects.filter(company=self.company), pk=pk)
        return self.page_of(email_list(self.company).filter(document=document))


def email_or_404(company, pk: int) -> OutgoingEmail:
    email = email_get(company, pk)
    if email is None:
        raise Http404
    return email


class EmailDetail(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="emails_retrieve",
        description="One email: its status, each recipient's status, facts, failure reason "
        "and events, and whether opens are tracked.",
        responses=EmailOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(EmailOutput(email_or_404(self.company, pk)).data)


class EmailUpdateStatus(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="emails_update_status",
        description="Asks the provider again, as the Update status button does: only within "
        "the provider's window, one at a time, not again within the cooldown. Refused: 409 "
        "(provider_has_no_api, email_not_handed_off, refresh_window_passed, "
        "imap_not_configured, refresh_running) or 429 refresh_cooldown with Retry-After. "
        "Otherwise the email; its status changes when the answer is in.",
        request=None,
        responses=EmailOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        email = email_or_404(self.company, pk)
        try:
            email_refresh_request(email)
        except RefreshRefused as refused:
            raise refusal_error(refused) from refused
        refresh_on_commit(email.pk)
        return Response(EmailOutput(email_or_404(self.company, pk)).data)


def refusal_error(refused: RefreshRefused) -> APIException:
    if refused.retry_after is not None:
        return TooSoon(refused.message, code=refused.code, wait=refused.retry_after)
    return Conflict(refused.message, code=refused.code)
