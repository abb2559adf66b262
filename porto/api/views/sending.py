"""Sending through the API: one document (/api/v1/documents/{id}/send/, JSON or multipart with
attachments) and bulk sends (/api/v1/bulk-sends/). The one send path (docs/sending.md): a
``SendRequest`` checked and written by ``email_send`` / ``bulk_send``; delivery is woken after
the commit, so an idempotent replay wakes nothing."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from porto.api.emails import email_get
from porto.api.errors import PayloadTooLarge
from porto.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from porto.api.serializers.emails import EmailOutput
from porto.api.serializers.sending import BulkJobOutput, BulkSendInput, SendInput
from porto.api.views.base import CompanyAPIView
from porto.documents.models import Document
from porto.lib.headers import split_entries
from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.requests import SendRequest, bulk_send, email_send
from porto.mail.send import uploads
from porto.mail.send.limits import MAX_UPLOAD_BYTES
from porto.mail.send.problems import problem_code
from porto.mail.tasks import wake_on_commit

TAGS = ["sending"]


def acting_user(request: Request):
    """The person behind a session; None for a token (an integration, not a person)."""
    return request.user if getattr(request.user, "pk", None) is not None else None


def api_validation_error(error: DjangoValidationError) -> ValidationError:
    """``email_send``'s problems by field, with their codes; the request as a whole under
    ``non_field_errors``."""
    return ValidationError(
        {
            (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): [
                ErrorDetail(message, code=item.code or "invalid")
                for item in items
                for message in item
            ]
            for name, items in error.error_dict.items()
        }
    )


def addresses_of(values: list[str]) -> list[str]:
    """Each value may hold several addresses separated by commas or semicolons, as the
    pop-up's boxes do (``-F "to=a@x.example, b@y.example"``)."""
    return [entry for value in values for entry in split_entries(value)]


def send_request_of(document: Document, given: dict, user) -> SendRequest:
    to = given.get("to")
    if to is None:  # left out: the client's default address, as the pop-up proposes
        default = document.client.default_email if document.client else None
        to = [default.address] if default else []
    return SendRequest(
        document=document,
        to=addresses_of(to),
        cc=addresses_of(given.get("cc", [])),
        bcc=addresses_of(given.get("bcc", [])),
        subject=given.get("subject"),
        body_text=given.get("body"),
        email_text_id=given.get("email_text"),
        file_format=given.get("file_format"),
        attachments=uploads.new_attachments(given.get("attachments", [])),
        save_new_addresses=given["save_new_addresses"],
        created_by=user,
    )


class DocumentSend(CompanyAPIView):
    parser_classes = [JSONParser, MultiPartParser]

    def max_body_bytes(self) -> int:
        """Attachments come only in a multipart body: a JSON body keeps the JSON limit, so a
        parser never reads the attachments' limit of JSON into memory."""
        if self.request.content_type.startswith("multipart/"):
            return MAX_UPLOAD_BYTES
        return super().max_body_bytes()

    def initial(self, request: Request, *args, **kwargs) -> None:
        """Files are read by ``uploads.SendUploadHandler`` (no more than the limits in memory);
        it is installed before anything parses the body."""
        self.upload_handler = uploads.install(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        operation_id="documents_send",
        description="Sends the finalized document by email, with the same fields, limits and "
        "checks as the Send pop-up. Every problem is answered at once, by field, each with "
        "its code (invalid_recipient, too_many_recipients, subject_too_long, body_too_long, "
        "attachment_too_large, attachments_too_large, attachment_type_refused, ubl_invalid, "
        "...); the request as a whole (document_not_finalized, sender_not_configured) under "
        "non_field_errors. Nothing is sent on any error. Attachments need "
        "multipart/form-data.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request={"application/json": SendInput, "multipart/form-data": SendInput},
        responses={202: EmailOutput},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(
            Document.objects.filter(company=self.company).select_related("client"), pk=pk
        )
        given = SendInput(data=request.data)
        if self.upload_handler.stopped:
            raise PayloadTooLarge(uploads.upload_too_large())
        given.is_valid(raise_exception=True)
        send_request = send_request_of(document, given.validated_data, acting_user(request))
        try:
            email = email_send(send_request)
        except DjangoValidationError as error:
            raise api_validation_error(error) from error
        wake_on_commit([email.pk])
        sent = email_get(self.company, email.pk)
        return Response(EmailOutput(sent).data, status=status.HTTP_202_ACCEPTED)


class BulkSendCreate(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="bulk_sends_create",
        description="One separate email per document, to its client's default address, in "
        "the client's language, with the default text and format. A document that cannot be "
        "sent (a draft, no address, an id not found) is listed in skipped with the reason; "
        "the others are sent.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=BulkSendInput,
        responses={202: BulkJobOutput},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = BulkSendInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            job = bulk_send(
                self.company, given.validated_data["documents"], created_by=acting_user(request)
            )
        except DjangoValidationError as error:  # the sender settings: nothing can be sent
            raise ValidationError(
                [
                    ErrorDetail(str(e.message), code=problem_code(e.message))
                    for e in error.error_list
                ]
            ) from error
        wake_on_commit(
            list(OutgoingEmail.objects.filter(bulk_job=job).values_list("pk", flat=True))
        )
        return Response(BulkJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class BulkSendDetail(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="bulk_sends_retrieve",
        description="The bulk send's progress: poll until done is true.",
        responses=BulkJobOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(BulkJob.objects.filter(company=self.company), pk=pk)
        return Response(BulkJobOutput(job).data)
