"""Settings > Email settings. Any member may change the sending options; only an owner may
change the sending method and the mailbox credentials, or send a test email with them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from porto.accounts import access
from porto.emailsettings.forms import SendingMethodForm, SendingOptionsForm
from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from porto.emailsettings.services import (
    email_settings_update,
    smtp_test_candidate,
    smtp_test_send,
)
from porto.lib.smtp import Security


def _page(request: HttpRequest, settings: EmailSettings, **context) -> HttpResponse:
    is_owner = access.is_owner(request.user, settings.company)
    context.setdefault("options_form", SendingOptionsForm(instance=settings))
    if is_owner:
        context.setdefault("method_form", SendingMethodForm(instance=settings))
    context |= {"settings": settings, "is_owner": is_owner}
    return render(request, "emailsettings/email_settings.html", context)


def _owner_settings(request: HttpRequest) -> EmailSettings:
    company = access.current_company(request)
    if not access.is_owner(request.user, company):
        raise PermissionDenied(_("Only an owner of the company can change the sending method."))
    return email_settings_for(company)


@login_required
@require_GET
def email_settings(request: HttpRequest) -> HttpResponse:
    return _page(request, email_settings_for(access.current_company(request)))


@login_required
@require_POST
def email_settings_options(request: HttpRequest) -> HttpResponse:
    settings = email_settings_for(access.current_company(request))
    form = SendingOptionsForm(request.POST, instance=settings)
    if form.is_valid():
        try:
            email_settings_update(settings, form.changes())
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("The sending options are saved."))
            return redirect("email_settings")
    return _page(request, email_settings_for(settings.company), options_form=form)


@login_required
@require_POST
def email_settings_method(request: HttpRequest) -> HttpResponse:
    settings = _owner_settings(request)
    form = SendingMethodForm(request.POST, instance=settings)
    if form.is_valid():
        try:
            saved = email_settings_update(settings, form.changes())
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            _report_saved(request, settings, saved)
            return redirect("email_settings")
    return _page(request, email_settings_for(settings.company), method_form=form)


def _report_saved(request: HttpRequest, before: EmailSettings, saved: EmailSettings) -> None:
    messages.success(request, _("The sending method is saved."))
    if before.track_opens and not saved.track_opens:
        messages.warning(
            request,
            _("Open tracking is switched off: it is not available with Own mailbox (SMTP)."),
        )
    if saved.uses_smtp and saved.smtp_security == Security.NONE:
        messages.warning(
            request,
            _(
                "Your SMTP connection is not encrypted: the password and every email can be "
                "read on the way. Choose STARTTLS or TLS if your server offers it."
            ),
        )


@login_required
@require_POST
def email_settings_test(request: HttpRequest) -> HttpResponse:
    """Send a test email with the settings as filled in (saved or not) to the user."""
    settings = _owner_settings(request)
    form = SendingMethodForm(request.POST, instance=settings)
    report = None
    if form.is_valid():
        try:
            candidate = smtp_test_candidate(settings, form.changes())
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            to_address = getattr(request.user, "email", "") or candidate.smtp_from_address
            report = smtp_test_send(candidate, to_address)
    return _page(
        request, email_settings_for(settings.company), method_form=form, test_report=report
    )
