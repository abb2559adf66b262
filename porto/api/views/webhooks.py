"""/api/v1/webhook-endpoints/: an integrator registers its own endpoint, reads and changes it,
makes a new secret, sends a test event through the queue and reads the attempt log; and
/api/v1/webhook-event-types/. Writes go through the services of ``porto.hooks``, whose
rules (the SSRF check on the URL, the event types) are the Settings page's."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from porto.accounts import access
from porto.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from porto.api.models import ApiToken
from porto.api.pagination import PollingCursorPagination
from porto.api.serializers.webhooks import (
    AttemptOutput,
    EndpointInput,
    EndpointOutput,
    EndpointWithSecretOutput,
    EventTypeOutput,
    SecretOutput,
)
from porto.api.views.base import CompanyAPIView
from porto.hooks.events import EVENT_TYPES
from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from porto.hooks.selectors import endpoints_of
from porto.hooks.services import (
    endpoint_create,
    endpoint_delete,
    endpoint_enable,
    endpoint_secret_rotate,
    endpoint_update,
    ping_send,
)
from porto.hooks.tasks import wake_on_commit

TAGS = ["webhooks"]


class OwnerAPIView(CompanyAPIView):
    """A token (an owner made it) or the session of an owner; a member's session gets 404, as
    on Settings > Webhooks."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if not isinstance(request.auth, ApiToken) and not access.is_owner(
            request.user, self.company
        ):
            raise Http404

    def get_endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(endpoints_of(self.company), pk=self.kwargs["pk"])


def refused(error: DjangoValidationError) -> ValidationError:
    """The service's problems under the API's field names (the same as the form's)."""
    return ValidationError({field: messages for field, messages in error.message_dict.items()})


class OldestFirst(PollingCursorPagination):
    ordering = ("created_at", "id")  # an endpoint has no updated_at: no polling


class NewestFirst(PollingCursorPagination):
    ordering = ("-attempted_at", "-id")


class EndpointList(OwnerAPIView):
    pagination_class = OldestFirst

    @extend_schema(
        tags=TAGS, operation_id="webhook_endpoints_list", responses=EndpointOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(endpoints_of(self.company))
        return self.get_paginated_response(EndpointOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_create",
        description="Registers an endpoint; the answer holds its secret, shown only this once.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=EndpointInput,
        responses={201: EndpointWithSecretOutput},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = EndpointInput(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        enabled = values.pop("enabled", True)
        values.setdefault("description", "")
        try:
            endpoint = endpoint_create(self.company, **values)
        except DjangoValidationError as error:
            raise refused(error) from error
        if not enabled:
            endpoint_enable(endpoint, False)
        return Response(EndpointWithSecretOutput(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetail(OwnerAPIView):
    @extend_schema(tags=TAGS, operation_id="webhook_endpoints_retrieve", responses=EndpointOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(EndpointOutput(self.get_endpoint()).data)

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_update",
        description="Changes the fields sent; the others stay.",
        request=EndpointInput(partial=True),
        responses=EndpointOutput,
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = self.get_endpoint()
        given = EndpointInput(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        endpoint_change(endpoint, given.validated_data)
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_destroy",
        description="Deletes the endpoint with its waiting events and its attempt log.",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        endpoint_delete(self.get_endpoint())
        return Response(status=status.HTTP_204_NO_CONTENT)


def endpoint_change(endpoint: WebhookEndpoint, given: dict) -> None:
    """The fields given over the stored ones, all or nothing."""
    current = {k: getattr(endpoint, k) for k in ("url", "description", "event_types")}
    enabled = given.pop("enabled", None)
    with transaction.atomic():
        try:
            endpoint_update(endpoint, **(current | given))
        except DjangoValidationError as error:
            raise refused(error) from error
        if enabled is not None:
            endpoint_enable(endpoint, enabled)


class EndpointRotateSecret(OwnerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_rotate_secret",
        description="A new secret signs from now on; the old one signs beside it for 24 hours.",
        request=None,
        responses=SecretOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = self.get_endpoint()
        endpoint_secret_rotate(endpoint)
        answer = {
            "secret": endpoint.secret,
            "previous_secret_until": endpoint.previous_secret_until,
        }
        return Response(SecretOutput(answer).data)


class EndpointTest(OwnerAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_test",
        description="Queues a webhook.test event for this endpoint (enabled or not); it is "
        "tried once. Its attempt shows in the attempt log.",
        request=None,
        responses={
            202: inline_serializer("WebhookTestQueued", {"message_id": serializers.CharField()})
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        message_pk = ping_send(self.get_endpoint())
        wake_on_commit([message_pk])
        message_id = WebhookMessage.objects.values_list("message_id", flat=True).get(pk=message_pk)
        return Response({"message_id": message_id}, status=status.HTTP_202_ACCEPTED)


class EndpointAttempts(OwnerAPIView):
    pagination_class = NewestFirst

    @extend_schema(
        tags=TAGS,
        operation_id="webhook_endpoints_attempts",
        description="The endpoint's delivery attempts, newest first.",
        responses=AttemptOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        attempts = WebhookAttempt.objects.filter(message__endpoint=self.get_endpoint())
        page = self.paginate_queryset(attempts.select_related("message"))
        return self.get_paginated_response(AttemptOutput(page, many=True).data)


class EventTypeList(OwnerAPIView):
    @extend_schema(
        tags=TAGS, operation_id="webhook_event_types_list", responses=EventTypeOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        types = [{"type": key, "description": str(text)} for key, text in EVENT_TYPES.items()]
        return Response(EventTypeOutput(types, many=True).data)
