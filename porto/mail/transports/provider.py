"""Any django-anymail provider (Postmark, Mailgun, SendGrid, Amazon SES, Brevo, …), chosen by
settings. The per-recipient message ids in ``anymail_status`` are kept for tracking; our email
and recipient ids travel in the metadata so webhooks can be matched even without them."""

from email.message import EmailMessage
from email.utils import formataddr, getaddresses

from anymail.exceptions import AnymailAPIError, AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext as _

from porto.mail.transports.base import Outbound, RecipientResult, Transport, TransportError

ACCEPTED = {"queued", "sent", "scheduled", "unknown"}  # the provider took it
REFUSED = {"rejected", "invalid"}


class ProviderTransport(Transport):
    name = "provider"

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        message = django_message(outbound)
        connection = get_connection(settings.PORTO_ANYMAIL_BACKEND, ignore_recipient_status=True)
        try:
            connection.send_messages([message])
        except AnymailAPIError as error:
            raise api_failure(error) from error
        except AnymailError as error:  # configuration problems: fixable by the operator
            raise TransportError(
                _("The email provider could not be used (%(reason)s); trying again later.")
                % {"reason": first_line(error)},
                permanent=False,
            ) from error
        return results_from(message, outbound)


def results_from(message, outbound: Outbound) -> dict[str, RecipientResult]:
    statuses = {address.lower(): s for address, s in message.anymail_status.recipients.items()}
    results = {}
    for address in outbound.recipients:
        status = statuses.get(address.lower())
        results[address] = recipient_result(status)
    return results


def recipient_result(status) -> RecipientResult:
    if status is None:
        return RecipientResult(
            accepted=False,
            permanent=False,
            reason=_("The email provider did not report on this address; trying again later."),
        )
    if status.status in ACCEPTED:
        return RecipientResult(
            accepted=True, code=status.status, provider_message_id=str(status.message_id or "")
        )
    if status.status in REFUSED:
        return RecipientResult(
            accepted=False,
            permanent=True,
            code=status.status,
            reason=_(
                "The email provider refused this address (%(status)s): it bounced or complained "
                "before, or it is not a valid address."
            )
            % {"status": status.status},
        )
    return RecipientResult(
        accepted=False,
        permanent=False,
        code=status.status,
        reason=_("The email provider could not send to this address (%(status)s).")
        % {"status": status.status},
    )


def api_failure(error: AnymailAPIError) -> TransportError:
    code = error.status_code
    if code is None or code == 429 or code >= 500:
        return TransportError(
            _("The email provider is not reachable or busy (%(reason)s); trying again later.")
            % {"reason": code or first_line(error)},
            permanent=False,
            code=str(code or ""),
        )
    return TransportError(
        _("The email provider refused the email (HTTP %(code)d): %(reason)s")
        % {"code": code, "reason": first_line(error)},
        permanent=True,
        code=str(code),
    )


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def django_message(outbound: Outbound) -> EmailMultiAlternatives:
    source = outbound.message
    pending = {a.lower() for a in outbound.recipients}
    to = _addresses(source, "To", pending)
    cc = _addresses(source, "Cc", pending)
    listed = {a.lower() for a in to + cc}
    bcc = [a for a in outbound.recipients if a.lower() not in listed]
    text, html = _bodies(source)
    message = EmailMultiAlternatives(
        subject=str(source["Subject"]),
        body=text,
        from_email=str(source["From"]),
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=[str(source["Reply-To"])] if source["Reply-To"] else [],
        headers={"Message-ID": str(source["Message-ID"])},
    )
    if html:
        message.attach_alternative(html, "text/html")
    for part in source.iter_attachments():
        message.attach(part.get_filename(), part.get_payload(decode=True), part.get_content_type())
    message.metadata = {  # type: ignore[attr-defined]
        "porto_email": outbound.public_id,
        "porto_recipients": ",".join(str(i) for i in outbound.recipient_ids.values()),
    }
    return message


def _addresses(source: EmailMessage, header: str, pending: set[str]) -> list[str]:
    values = source.get_all(header) or []
    return [
        formataddr((name, address)) if name else address
        for name, address in getaddresses([str(v) for v in values])
        if address.lower() in pending
    ]


def _bodies(source: EmailMessage) -> tuple[str, str]:
    text = source.get_body(preferencelist=("plain",))
    html = source.get_body(preferencelist=("html",))
    return (
        text.get_content() if text is not None else "",  # type: ignore[attr-defined]
        html.get_content() if html is not None else "",  # type: ignore[attr-defined]
    )
