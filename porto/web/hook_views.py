"""Settings > Webhooks, for owners only (a member or an outsider gets 404): the endpoints,
their secret, a test event and the attempt log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from porto.accounts import access
from porto.accounts.models import Company
from porto.hooks.events import EVENT_TYPES
from porto.hooks.forms import EndpointForm
from porto.hooks.models import WebhookEndpoint
from porto.hooks.selectors import attempts_of, endpoints_of
from porto.hooks.services import (
    endpoint_create,
    endpoint_delete,
    endpoint_enable,
    endpoint_secret_rotate,
    endpoint_update,
    ping_send,
    retries_last_for,
)
from porto.hooks.tasks import wake_on_commit


def _owned_company(request: HttpRequest) -> Company:
    company = access.current_company(request)
    if not access.is_owner(request.user, company):
        raise Http404(_("Only an owner of the company can open this page."))
    return company


def _owned_endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_of(_owned_company(request)), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    company = _owned_company(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_create(company, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _endpoint_page(request, endpoint, secret_shown=True, created=True)
    context = {"endpoints": endpoints_of(company), "form": form, "event_types": EVENT_TYPES}
    return render(request, "web/webhooks.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _owned_endpoint(request, pk)
    if request.method != "POST":
        return _endpoint_page(request, endpoint)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint_update(endpoint, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhook", pk=endpoint.pk)
    return _endpoint_page(request, endpoint, form=form)


def _endpoint_page(
    request: HttpRequest, endpoint: WebhookEndpoint, *, form=None, **flags
) -> HttpResponse:
    initial = {k: getattr(endpoint, k) for k in ("url", "description", "event_types")}
    context = {
        "endpoint": endpoint,
        "form": form or EndpointForm(initial=initial),
        "attempts": attempts_of(endpoint),
        "retry_hours": round(retries_last_for().total_seconds() / 3600),
        **flags,
    }
    return render(request, "web/webhooks_endpoint.html", context)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _owned_endpoint(request, pk)
    enabled = request.POST.get("enabled") == "1"
    endpoint_enable(endpoint, enabled)
    if enabled:
        messages.success(request, _("The endpoint is enabled: new events are sent to it."))
    else:
        messages.success(request, _("The endpoint is disabled: no events are sent to it."))
    return redirect("webhook", pk=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _owned_endpoint(request, pk)
    endpoint_delete(endpoint)
    messages.success(request, _("The endpoint is deleted."))
    return redirect("webhooks")


@login_required
@require_POST
def webhook_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """Shows the secret (a POST: it never lands in a URL, a log or the browser's history)."""
    return _endpoint_page(request, _owned_endpoint(request, pk), secret_shown=True)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _owned_endpoint(request, pk)
    endpoint_secret_rotate(endpoint)
    return _endpoint_page(request, endpoint, secret_shown=True, rotated=True)


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _owned_endpoint(request, pk)
    wake_on_commit([ping_send(endpoint)])
    messages.success(
        request, _("A test event is on its way. Reload this page to see its attempt below.")
    )
    return redirect("webhook", pk=endpoint.pk)
