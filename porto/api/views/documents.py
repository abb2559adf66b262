"""/api/v1/documents/: list (filters, cursor, updated_since), create and change drafts (the
editor's rules), read, delete a draft, finalize, credit, duplicate, and the PDF and UBL
downloads (the stored bytes, as the document page serves them)."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from porto.api.documents import draft_write, finalized_conflict
from porto.api.errors import Conflict, error_body
from porto.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from porto.api.pagination import UPDATED_SINCE, PollingCursorPagination, updated_since
from porto.api.serializers.documents import (
    DocumentListOutput,
    DocumentOutput,
    DraftCreateInput,
    DraftUpdateInput,
)
from porto.api.serializers.errors import ErrorSerializer
from porto.api.views.base import CompanyAPIView
from porto.clients.models import Client
from porto.documents import drafts, selectors, services
from porto.documents.models import Document, DocumentKind, FinalizedDocumentError
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.files import document_files
from porto.mail.selectors import EMAIL_STATUSES, documents_whose_latest_email_shows

TAGS = ["documents"]
DOCUMENT_STATUSES = ["draft", "finalized", "sent"]


def unprocessable(code: str, message: str, fields: dict) -> Response:
    return Response(error_body(code, message, fields), status=422)


def _date_param(request: Request, name: str):
    value = request.query_params.get(name, "")
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        message = _("Write the date as YYYY-MM-DD, for example 2026-12-01.")
        raise exceptions.ValidationError({name: [message]}) from None


def _choice_param(request: Request, name: str, choices: list[str]) -> str:
    value = request.query_params.get(name, "")
    if value and value not in choices:
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
        raise exceptions.ValidationError({name: [message]})
    return value


def _id_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    if value and not value.isdigit():
        raise exceptions.ValidationError({name: [_("Give the id as a whole number.")]})
    return int(value) if value else None


def filtered_documents(request: Request, company):
    """The list's query parameters, each checked, applied by the documents' selector."""
    params = request.query_params
    documents = selectors.document_list(
        company,
        kind=_choice_param(request, "kind", DocumentKind.values),
        status=_choice_param(request, "status", DOCUMENT_STATUSES),
        client=_id_param(request, "client"),
        number=params.get("number", "").strip(),
        issued_from=_date_param(request, "issued_from"),
        issued_until=_date_param(request, "issued_until"),
    )
    email_status = _choice_param(request, "last_email_status", EMAIL_STATUSES)
    if email_status:
        documents = documents_whose_latest_email_shows(documents, email_status, timezone.now())
    return updated_since(documents, params.get("updated_since"))


LIST_PARAMETERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, enum=DocumentKind.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=DOCUMENT_STATUSES),
    OpenApiParameter("client", OpenApiTypes.INT, description="A client's id."),
    OpenApiParameter("number", OpenApiTypes.STR, description="Part of the number."),
    OpenApiParameter("issued_from", OpenApiTypes.DATE, description="Issue date on or after."),
    OpenApiParameter("issued_until", OpenApiTypes.DATE, description="Issue date on or before."),
    OpenApiParameter(
        "last_email_status",
        OpenApiTypes.STR,
        enum=EMAIL_STATUSES,
        description="The status the latest email of the document shows now.",
    ),
    UPDATED_SINCE,
]


def company_document(view: CompanyAPIView, pk: int) -> Document:
    return get_object_or_404(
        Document.objects.filter(company=view.company).select_related("client", "company"), pk=pk
    )


def document_answer(view: CompanyAPIView, document: Document, code: int = 200) -> Response:
    fresh = (
        Document.objects.select_related("client")
        .prefetch_related("lines__allowance_charges", "allowance_charges")
        .get(pk=document.pk)
    )
    context = {"request": view.request}
    return Response(DocumentOutput(fresh, context=context).data, status=code)


class DocumentList(CompanyAPIView):
    pagination_class = PollingCursorPagination

    @extend_schema(
        tags=TAGS,
        operation_id="documents_list",
        parameters=LIST_PARAMETERS,
        responses=DocumentListOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(filtered_documents(request, self.company))
        return self.get_paginated_response(DocumentListOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="documents_create",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=DraftCreateInput,
        responses={201: DocumentOutput},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = DraftCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        client = Client.objects.filter(company=self.company, pk=data.get("client")).first()
        document = drafts.document_new(self.company, data["kind"], client)
        document = draft_write(document, data)
        return document_answer(self, document, status.HTTP_201_CREATED)


class DocumentDetail(CompanyAPIView):
    @extend_schema(tags=TAGS, operation_id="documents_retrieve", responses=DocumentOutput)
    def get(self, request: Request, pk: int) -> Response:
        return document_answer(self, company_document(self, pk))

    @extend_schema(
        tags=TAGS,
        operation_id="documents_update",
        description="Changes the fields sent; `lines` and `allowances`, when sent, replace the "
        "whole list. `revision` is required: a stale one is 409 document_changed; a "
        "finalized document is 409 document_finalized.",
        request=DraftUpdateInput,
        responses=DocumentOutput,
    )
    def patch(self, request: Request, pk: int) -> Response:
        document = company_document(self, pk)
        if not document.is_draft:
            raise finalized_conflict(document)
        given = DraftUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        return document_answer(self, draft_write(document, given.validated_data))

    @extend_schema(
        tags=TAGS,
        operation_id="documents_destroy",
        description="Deletes a draft; a finalized document is a legal record (409 "
        "document_finalized): credit it instead.",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        document = company_document(self, pk)
        try:
            drafts.draft_delete(document)
        except FinalizedDocumentError as error:
            raise finalized_conflict(document) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentFinalize(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="documents_finalize",
        description="Gives the draft its number and freezes it. What keeps it from being "
        "finalized: 422 document_not_finalizable, each problem under its field.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=None,
        responses=DocumentOutput,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        document = company_document(self, pk)
        if not document.is_draft:
            raise finalized_conflict(document)
        problems = services.finalization_problems(document)
        if problems:
            fields: dict[str, list[dict]] = {}
            for problem in problems:
                entry = {"code": "not_finalizable", "message": problem.message}
                fields.setdefault(problem.field or "non_field_errors", []).append(entry)
            message = _("The draft cannot be finalized yet: %(problems)s") % {
                "problems": " ".join(problem.message for problem in problems)
            }
            return unprocessable("document_not_finalizable", message, fields)
        try:
            finalized = services.document_finalize(document)
        except DjangoValidationError as error:  # finalized meanwhile by another request
            raise finalized_conflict(document) from error
        return document_answer(self, finalized)


class DocumentCredit(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="documents_credit",
        description="A new credit note draft correcting this finalized invoice (same client, "
        "fields and lines).",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=None,
        responses={201: DocumentOutput},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        invoice = company_document(self, pk)
        try:
            credit_note = drafts.document_credit(invoice)
        except DjangoValidationError as error:
            raise Conflict(error.messages[0], code="not_creditable") from error
        return document_answer(self, credit_note, status.HTTP_201_CREATED)


class DocumentDuplicate(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="documents_duplicate",
        description="A new draft of the same kind with the same fields and lines.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=None,
        responses={201: DocumentOutput},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        copy = drafts.document_duplicate(company_document(self, pk))
        return document_answer(self, copy, status.HTTP_201_CREATED)


FILE_ERRORS = {
    409: OpenApiResponse(ErrorSerializer, description="document_not_finalized: a draft."),
    422: OpenApiResponse(
        ErrorSerializer,
        description="ubl_invalid (fields.rules: the official rule ids), ubl_not_available.",
    ),
}


class DocumentFile(CompanyAPIView):
    fmt = "pdf"

    def get(self, request: Request, pk: int) -> HttpResponse:
        document = company_document(self, pk)
        try:
            [file] = document_files(document, self.fmt)
        except DocumentFileError as error:
            return file_refusal(error)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response


def file_refusal(error: DocumentFileError) -> Response:
    if error.code == "draft":
        body = error_body("document_not_finalized", error.messages[0])
        return Response(body, status=status.HTTP_409_CONFLICT)
    code = {"ubl_kind": "ubl_not_available", "ubl_data": "ubl_invalid"}.get(
        str(error.code), str(error.code)
    )
    fields = {"problems": [{"code": code, "message": m} for m in error.messages]}
    if error.rule_ids:
        fields["rules"] = [{"code": rule, "message": rule} for rule in error.rule_ids]
    return Response(error_body(code, " ".join(error.messages), fields), status=422)


class DocumentPdf(DocumentFile):
    fmt = "pdf"

    @extend_schema(
        tags=TAGS,
        operation_id="documents_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **FILE_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)


class DocumentUbl(DocumentFile):
    fmt = "ubl"

    @extend_schema(
        tags=TAGS,
        operation_id="documents_ubl",
        description="The Peppol BIS Billing 3.0 UBL of an invoice or credit note.",
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY),
            **FILE_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)
