"""/api/v1/clients/: list (cursor, search, updated_since), create, read, change, delete,
archive and unarchive. The pattern every resource follows (docs/api.md, "Adding a resource")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from porto.api.clients import client_write
from porto.api.errors import Conflict
from porto.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from porto.api.pagination import UPDATED_SINCE, PollingCursorPagination, updated_since
from porto.api.serializers.clients import ClientInput, ClientOutput
from porto.api.views.base import CompanyAPIView
from porto.clients import selectors, services
from porto.clients.models import Client

TAGS = ["clients"]


class ClientList(CompanyAPIView):
    pagination_class = PollingCursorPagination

    @extend_schema(
        tags=TAGS,
        operation_id="clients_list",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search name, contact, "
                "VAT or KBO/BCE number and addresses (accents and case ignored).",
            ),
            OpenApiParameter(
                "archived",
                OpenApiTypes.BOOL,
                description="Include archived clients (default: false).",
            ),
            UPDATED_SINCE,
        ],
        responses=ClientOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        clients = selectors.client_list(
            self.company,
            search=request.query_params.get("q", ""),
            show_archived=request.query_params.get("archived") in {"true", "1"},
        )
        clients = updated_since(clients, request.query_params.get("updated_since"))
        page = self.paginate_queryset(clients)
        return self.get_paginated_response(ClientOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="clients_create",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=ClientInput,
        responses={201: ClientOutput},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = ClientInput(data=request.data)
        given.is_valid(raise_exception=True)
        client = client_write(Client(company=self.company), given.validated_data)
        return Response(ClientOutput(client).data, status=status.HTTP_201_CREATED)


class ClientDetail(CompanyAPIView):
    def get_object(self) -> Client:
        return get_object_or_404(
            Client.objects.filter(company=self.company).prefetch_related("emails"),
            pk=self.kwargs["pk"],
        )

    @extend_schema(tags=TAGS, operation_id="clients_retrieve", responses=ClientOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ClientOutput(self.get_object()).data)

    @extend_schema(
        tags=TAGS, operation_id="clients_update", request=ClientInput, responses=ClientOutput
    )
    def patch(self, request: Request, pk: int) -> Response:
        client = self.get_object()
        given = ClientInput(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        client_write(client, given.validated_data)
        return Response(ClientOutput(self.get_object()).data)  # read again: addresses changed

    @extend_schema(
        tags=TAGS,
        operation_id="clients_destroy",
        description="Deletes a client without documents; a client with documents is refused "
        "(409 has_documents): archive it instead.",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        client = self.get_object()
        try:
            services.client_delete(client)
        except DjangoValidationError as error:
            raise Conflict(error.messages[0], code=error.code) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientArchive(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="clients_archive",
        description="Hides the client from new documents; its documents stay.",
        request=None,
        responses=ClientOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        client = get_object_or_404(Client.objects.filter(company=self.company), pk=pk)
        return Response(ClientOutput(services.client_archive(client)).data)


class ClientUnarchive(CompanyAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="clients_unarchive",
        description="Offers an archived client for new documents again.",
        request=None,
        responses=ClientOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        client = get_object_or_404(Client.objects.filter(company=self.company), pk=pk)
        return Response(ClientOutput(services.client_unarchive(client)).data)
