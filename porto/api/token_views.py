"""Settings > API tokens, for owners only (a member gets 404): list, create (the secret is
shown once, on the answer to the create), revoke after confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from porto.accounts import access
from porto.accounts.models import Company
from porto.api import selectors, services
from porto.api.forms import TokenForm
from porto.api.models import ApiToken


def _owned_company(request: HttpRequest) -> Company:
    company = access.current_company(request)
    if not access.is_owner(request.user, company):
        raise Http404(_("Only an owner of the company can open this page."))
    return company


def _page(request: HttpRequest, company: Company, form: TokenForm, **context) -> HttpResponse:
    context |= {"form": form, "tokens": selectors.company_tokens(company)}
    status = 400 if form.errors else 200
    return render(request, "web/api_tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    company = _owned_company(request)
    if request.method != "POST":
        return _page(request, company, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, company, form)
    created = services.token_create(company, request.user, form.cleaned_data["name"])
    # Shown on this answer only: the secret is not stored, so it cannot be shown again.
    return _page(request, company, TokenForm(), created=created)


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes."""
    company = _owned_company(request)
    token = get_object_or_404(ApiToken.objects.filter(company=company), pk=pk)
    if request.method == "POST":
        services.token_revoke(token)
        messages.success(
            request,
            _("The token %(name)s is revoked: requests with it are refused from now on.")
            % {"name": token.name},
        )
        return redirect("api_tokens")
    return render(request, "web/api_token_revoke.html", {"token": token})
