"""Any django-anymail provider (Postmark, Mailgun, SendGrid, Amazon SES, Brevo, Mailjet, Resend,
Postal, SparkPost), chosen by settings. The per-recipient message ids in ``anymail_status``
are kept for tracking; where the provider accepts metadata, our email and recipient ids travel
in it too.

What differs between providers is data (each provider's ``quirks``, declared in its folder
under ``porto/mail/providers/``), not branches. A configuration problem (an option the
provider does not offer, missing or refused credentials) fails the email at once with a plain
reason: trying again for a day would not fix the settings.
"""

from email.message import EmailMessage
from email.utils import formataddr, getaddresses

from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from botocore.exceptions import (
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from porto.mail.providers import PROVIDERS, policy_for
from porto.mail.providers.base.provider import SendQuirks
from porto.mail.reasons import reason_stored
from porto.mail.sent_through import configured_provider
from porto.mail.transports.base import (
    Outbound,
    RecipientResult,
    Transport,
    TransportError,
    WayDown,
)

ACCEPTED = {"queued", "sent", "scheduled", "unknown"}  # the provider took it
REFUSED = {"rejected", "invalid"}


# Settings that no retry can fix: anymail's configuration errors and unsupported options,
# boto3 (Amazon SES) without credentials or region, an address or value it cannot send.
CONFIGURATION_ERRORS = (
    ImproperlyConfigured,
    AnymailUnsupportedFeature,
    NoCredentialsError,
    PartialCredentialsError,
    NoRegionError,
    ProfileNotFound,
)
UNSENDABLE_ERRORS = (AnymailInvalidAddress, AnymailSerializationError)
CREDENTIAL_STATUSES = (401, 403)
# Error codes of providers that answer errors with HTTP 200 (Postal) or inside the body.
CREDENTIAL_CODES = {"InvalidServerAPIKey", "AccessDenied", "ServerSuspended"}
BUSY_CODES = {"RateLimited", "TooManyRequestsException", "Throttling", "ThrottlingException"}


def quirks_for(provider: str) -> SendQuirks:
    return PROVIDERS[provider].quirks if provider in PROVIDERS else SendQuirks()


class ProviderTransport(Transport):
    name = "provider"

    def __init__(self, *, keep_open: bool = False) -> None:
        self.keep_open = keep_open  # one HTTP session for a batch of emails
        self.connection: BaseEmailBackend | None = None

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        provider = configured_provider()
        message = django_message(outbound, quirks_for(provider))
        try:
            self._connection().send_messages([message])
        except (AnymailError, ImproperlyConfigured, *CONFIGURATION_ERRORS) as error:
            raise send_failure(error, provider) from error
        results = results_from(message, outbound)
        outbound.on_answer(results)
        return results

    def _connection(self) -> BaseEmailBackend:
        if self.connection is not None:
            return self.connection
        connection = get_connection(settings.PORTO_ANYMAIL_BACKEND, ignore_recipient_status=True)
        if self.keep_open:
            connection.open()  # kept open by send_messages, closed by ``close``
            self.connection = connection
        return connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send_failure(error: Exception, provider: str) -> TransportError:
    """The TransportError for what anymail (or boto3) raised: permanent unless time helps."""
    label = str(policy_for(provider).label)
    if is_configuration_error(error):
        return configuration_failure(error, label)
    if isinstance(error, UNSENDABLE_ERRORS):
        return TransportError(
            reason_stored("provider_unsendable", provider=label, reason=first_line(error)),
            permanent=True,
        )
    if isinstance(error, AnymailAPIError):
        return api_failure(error, label)
    return TransportError(
        reason_stored("provider_unusable", reason=first_line(error)),
        permanent=False,
    )


def is_configuration_error(error: Exception) -> bool:
    return isinstance(error, CONFIGURATION_ERRORS) or isinstance(
        error.__cause__, CONFIGURATION_ERRORS
    )


def configuration_failure(error: Exception, label: str) -> TransportError:
    return TransportError(
        reason_stored("provider_settings", provider=label, reason=first_line(error)),
        permanent=True,
        code="configuration",
    )


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
            reason=reason_stored("provider_no_report"),
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
            reason=reason_stored("provider_refused_address", status=status.status),
        )
    return RecipientResult(
        accepted=False,
        permanent=False,
        code=status.status,
        reason=reason_stored("provider_not_sent_to_address", status=status.status),
    )


def api_failure(error: AnymailAPIError, label: str) -> TransportError:
    body = api_body(error)
    status = api_status(error, body)
    code = str(error_part(body).get("code") or error_part(body).get("Code") or "")
    if status in CREDENTIAL_STATUSES or code in CREDENTIAL_CODES:
        return TransportError(
            reason_stored("provider_key_refused", provider=label, reason=code or f"HTTP {status}"),
            permanent=True,
            code=str(status or code),
            way_down=WayDown.LOGIN,
        )
    if status is None or status == 429 or status >= 500 or code in BUSY_CODES:
        return TransportError(
            reason_stored("provider_busy", reason=str(code or status or first_line(error))),
            permanent=False,
            code=str(status or ""),
            way_down=WayDown.UNREACHABLE,
        )
    return TransportError(
        reason_stored("provider_refused_email", code=status, reason=provider_message(error, body)),
        permanent=True,
        code=str(status),
    )


def api_body(error: AnymailAPIError) -> dict:
    """The provider's parsed error answer: JSON over HTTP, or boto3's error dict (SES)."""
    response = error.response
    if isinstance(response, dict):
        return response
    try:
        body = response.json()  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def api_status(error: AnymailAPIError, body: dict) -> int | None:
    metadata = body.get("ResponseMetadata")
    boto_status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
    return error.status_code or boto_status


def error_part(body: dict) -> dict:
    """Where the provider puts its error: Postal's ``data``, boto3's ``Error``, the first of
    SendGrid's or SparkPost's ``errors``, or the body itself."""
    for key in ("data", "Error"):
        if isinstance(body.get(key), dict):
            return body[key]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    return body


def provider_message(error: AnymailAPIError, body: dict) -> str:
    """The provider's own words from its error answer, else the first line of the error."""
    part = error_part(body)
    for key in ("Message", "message", "ErrorMessage", "description", "detail", "error"):
        if part.get(key):
            return str(part[key])[:500]
    return first_line(error)


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def django_message(outbound: Outbound, quirks: SendQuirks) -> EmailMultiAlternatives:
    source = outbound.message
    pending = {a.lower() for a in outbound.recipients}
    to = _addresses(source, "To", pending)
    cc = _addresses(source, "Cc", pending)
    listed = {address.lower() for _, address in getaddresses(to + cc)}
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
    if quirks.metadata:
        message.metadata = {  # type: ignore[attr-defined]
            "porto_email": outbound.public_id,
            "porto_recipients": ",".join(str(i) for i in outbound.recipient_ids.values()),
        }
    if quirks.tracking_per_message:
        # "Check if the email is opened": opens at most, clicks never (links stay as written).
        message.track_opens = outbound.track_opens  # type: ignore[attr-defined]
        message.track_clicks = False  # type: ignore[attr-defined]
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
