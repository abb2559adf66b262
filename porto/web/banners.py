"""The confirmation shown once on the overview after a send, with a link to follow it:
"Sending 1,234 documents — see progress" (to the bulk job's page) or "Sending Invoice
2026-00042 — see progress" (to the document, whose timeline shows the email).

And the banner on every page while the company's sending is paused (``sending_paused``, a
context processor): what happened, how many emails wait, what to fix and what happens next."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from porto.accounts import access
from porto.documents.models import Document
from porto.lib.formatting import active_language, format_count
from porto.mail.breaker import Pause, company_pauses
from porto.mail.models import BulkJob
from porto.mail.reasons import reason_render
from porto.mail.transports.base import WayDown


def progress_banner(sentence: str, url: str, **params: str) -> SafeString:
    """``sentence`` (translated, with ``%(link)s``) with its parameters and the link to ``url``;
    every part escaped before the whole is marked safe for the messages list."""
    link = format_html('<a href="{}">{}</a>', url, _("see progress"))
    escaped = {name: conditional_escape(value) for name, value in params.items()}
    return mark_safe(conditional_escape(sentence) % (escaped | {"link": link}))  # noqa: S308


def bulk_send_banner(job: BulkJob, sending: int) -> SafeString:
    sentence = ngettext(
        "Sending %(count)s document — %(link)s", "Sending %(count)s documents — %(link)s", sending
    )
    count = format_count(sending, active_language())
    return progress_banner(sentence, reverse("bulk_job", args=[job.pk]), count=count)


def bulk_already_sent_banner(job: BulkJob) -> SafeString:
    """A second post of the same summary: nothing more is sent, the first job is shown."""
    sentence = _(
        "These documents were already sent with this request; nothing was sent again — %(link)s"
    )
    return progress_banner(sentence, reverse("bulk_job", args=[job.pk]))


def single_send_banner(document: Document) -> SafeString:
    sentence = _("Sending %(document)s — %(link)s")
    url = reverse("document", args=[document.pk])
    return progress_banner(sentence, url, document=str(document))


def overview_back(path: str) -> str:
    """``path`` if it is a page of the overview (where a send started there returns to), else
    "": nothing else is followed, so the parameter cannot send anyone off-site."""
    overview = reverse("documents")
    from_overview = path == overview or path.startswith(f"{overview}?")
    return path if from_overview and path.isprintable() else ""


@dataclass(frozen=True)
class PausedBanner:
    """One paused way, in the reader's language."""

    what: str  # what happened
    reason: str  # the failure as the server or provider said it
    waiting: str  # how many emails wait
    fix: str  # what to fix
    next: str  # what happens next
    own_server: bool  # the fix is in the email settings


def sending_paused(request: HttpRequest) -> dict:
    """Context processor: the banners of the current company's paused ways (none for a
    visitor, and only ever the reader's own company)."""
    if not request.user.is_authenticated:
        return {}
    try:
        company = access.current_company(request)
    except Http404:
        return {}
    return {"sending_paused": [paused_banner(pause) for pause in company_pauses(company.pk)]}


def paused_banner(pause: Pause) -> PausedBanner:
    count = format_count(pause.waiting, active_language())
    waiting = ngettext(
        "%(count)s email waits; none is lost or failed.",
        "%(count)s emails wait; none is lost or failed.",
        pause.waiting,
    ) % {"count": count}
    return PausedBanner(
        what=paused_what(pause),
        reason=reason_render(pause.reason),
        waiting=waiting,
        fix=paused_fix(pause),
        next=paused_next(pause),
        own_server=pause.own_server,
    )


def paused_what(pause: Pause) -> str:
    if not pause.own_server:
        if pause.kind == WayDown.LOGIN:
            return _("Sending is paused: the email provider refused Porto's credentials.")
        return _("Sending is paused: the email provider could not be reached.")
    if pause.kind == WayDown.LOGIN:
        return _("Sending is paused: your mail server refused the login.")
    if pause.kind == WayDown.TLS:
        return _("Sending is paused: the secure connection (TLS) to your mail server failed.")
    return _("Sending is paused: your mail server could not be reached.")


def paused_fix(pause: Pause) -> str:
    if not pause.own_server:
        return _("Porto's administrator must fix this; nothing is needed from you.")
    if pause.kind == WayDown.LOGIN:
        return _("Check the username and password in the email settings, then save them.")
    return _(
        "Check the server, port and security in the email settings, then save them; if they "
        "are right, your mail server may be down for a while."
    )


def paused_next(pause: Pause) -> str:
    time = formats.time_format(timezone.localtime(pause.probe_at or timezone.now()))
    if pause.own_server:
        return _(
            "Porto tries again at %(time)s, or as soon as the email settings are saved; then "
            "every waiting email goes."
        ) % {"time": time}
    return _("Porto tries again at %(time)s; then every waiting email goes.") % {"time": time}
