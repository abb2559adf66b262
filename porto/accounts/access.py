"""Who is acting for which company. Every view reads company data through these helpers,
so a member of one company gets 404 for everything of another."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from porto.accounts.models import Company, Membership
from porto.lib.logcontext import log_context_bind

SESSION_KEY = "porto_company_id"
M = TypeVar("M", bound=Model)


def companies_of(user) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def current_company(request: HttpRequest) -> Company:
    """The company the signed-in user acts for: the one chosen in the session, else the first."""
    companies = companies_of(request.user)
    chosen = request.session.get(SESSION_KEY)
    company = companies.filter(pk=chosen).first() if chosen else None
    company = company or companies.order_by("memberships__created_at", "pk").first()
    if company is None:
        raise Http404(_("You are not a member of any company."))
    if chosen != company.pk:  # write the session only when it changes
        request.session[SESSION_KEY] = company.pk
    log_context_bind(company_id=company.pk)  # the request's log lines name it from here on
    return company


def switch_company(request: HttpRequest, company_id: str) -> Company:
    if not company_id.isdigit():
        raise Http404(_("No such company."))
    company = get_object_or_404(companies_of(request.user), pk=int(company_id))
    request.session[SESSION_KEY] = company.pk
    return company


def is_owner(user, company: Company) -> bool:
    return Membership.objects.filter(
        user=user, company=company, role=Membership.Role.OWNER
    ).exists()


def scoped(request: HttpRequest, queryset: QuerySet[M]) -> QuerySet[M]:
    """The part of ``queryset`` that belongs to the current company."""
    return queryset.filter(company=current_company(request))


def company_object_or_404(request: HttpRequest, queryset: QuerySet[M], **lookup) -> M:
    return get_object_or_404(scoped(request, queryset), **lookup)
