"""The company pages, for owners only (a member gets 404): the profile, the seller on every
new document, and the number series settings."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from porto.accounts import access
from porto.accounts.models import Company
from porto.accounts.services import company_profile_update
from porto.documents.numbering import (
    next_sequences,
    number_prefixes,
    number_series_update,
)
from porto.web.company_forms import CompanyProfileForm, NumberSeriesForm


def _owned_company(request: HttpRequest) -> Company:
    company = access.current_company(request)
    if not access.is_owner(request.user, company):
        raise Http404(_("Only an owner of the company can open this page."))
    return company


@login_required
@require_http_methods(["GET", "POST"])
def company_profile(request: HttpRequest) -> HttpResponse:
    company = _owned_company(request)
    if request.method != "POST":
        form = CompanyProfileForm(instance=company)
    else:
        form = CompanyProfileForm(request.POST, request.FILES, instance=company)
        if form.is_valid():
            try:
                company_profile_update(
                    company,
                    form.changes(),
                    logo=form.new_logo(),
                    remove_logo=form.cleaned_data["remove_logo"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _(
                        "The company profile is saved. New documents use it; finalized "
                        "documents keep the details they were finalized with."
                    ),
                )
                return redirect("company_profile")
    return render(request, "web/company_profile.html", {"form": form, "profile": company})


@login_required
@require_GET
def company_logo(request: HttpRequest) -> FileResponse:
    company = _owned_company(request)
    if not company.logo:
        raise Http404(_("The company has no logo."))
    content_type = mimetypes.guess_type(company.logo.name or "")[0] or "application/octet-stream"
    return FileResponse(company.logo.open("rb"), content_type=content_type)


@login_required
@require_http_methods(["GET", "POST"])
def number_series(request: HttpRequest) -> HttpResponse:
    company = _owned_company(request)
    year = timezone.localdate().year
    form = NumberSeriesForm(
        request.POST if request.method == "POST" else None,
        prefixes=number_prefixes(company.pk),
        next_numbers=next_sequences(company.pk, year),
        year=year,
    )
    if request.method == "POST" and form.is_valid():
        try:
            number_series_update(company.pk, year, form.changes())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The number series are saved."))
            return redirect("number_series")
    return render(request, "web/number_series.html", {"form": form, "year": year})
