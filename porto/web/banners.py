"""The confirmation shown once on the overview after a send, with a link to follow it:
"Sending 1,234 documents — see progress" (to the bulk job's page) or "Sending Invoice
2026-00042 — see progress" (to the document, whose timeline shows the email)."""

from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from porto.documents.models import Document
from porto.lib.formatting import active_language, format_count
from porto.mail.models import BulkJob


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
