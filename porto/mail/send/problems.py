"""Every check of a send request, each problem filed under the field it belongs to, with a
message a person can act on. The pop-up, the command line, bulk send and the API all ask here;
the browser checks the same limits (``porto.mail.send.limits``) before posting."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.documents.models import UBL_KINDS, Document
from porto.emailsettings.models import EmailSettings
from porto.emailtexts.models import EmailText
from porto.lib import text
from porto.lib.headers import address_key, needs_smtputf8
from porto.mail import checks, sources
from porto.mail.models import FileFormat, Recipient, TransportName
from porto.mail.send.limits import CODES as LIMIT_CODES
from porto.mail.send.limits import (
    MAX_ATTACHMENTS,
    MAX_RECIPIENTS,
    MAX_SUBJECT_CHARS,
    MAX_TOTAL_BYTES,
    human_size,
    limit_message,
    message_size,
    size_limit,
)
from porto.mail.send.request import Draft, NewAttachment, SendRequest
from porto.mail.transports.smtp import SmtpTransport

# The fields a problem can belong to: the pop-up's field names. GENERAL: the request as a whole.
GENERAL = NON_FIELD_ERRORS
TO, CC, BCC = "to", "cc", "bcc"
SUBJECT, BODY, EMAIL_TEXT = "subject", "body", "email_text"
FILE_FORMAT, ATTACHMENTS = "file_format", "attachments"

Problems = dict[str, list[str]]
# ``FileFormat.values`` builds its list anew on every call (a bulk send asks 1,000 times).
FILE_FORMATS = tuple(FileFormat.values)


class Problem(str):
    """A problem's message (a plain string where the pop-up shows it) with its stable code,
    which the API answers with (``invalid_recipient``, ``subject_too_long``, ...)."""

    code: str

    def __new__(cls, message: str, code: str) -> "Problem":
        problem = super().__new__(cls, message)
        problem.code = code
        return problem


def problem_code(message: object) -> str:
    return getattr(message, "code", "invalid")


# The codes of the checks' ValidationErrors (porto.mail.checks, the document's files), as the
# API names them.
CHECK_CODES = {
    "attachment_size": "attachment_too_large",
    "attachment_type": "attachment_type_refused",
    "attachment_empty": "attachment_empty",
    "attachment_mismatch": "attachment_type_mismatch",
    "attachment_name": "attachment_name_invalid",
    "attachment_damaged": "attachment_damaged",
    "html_unsafe": "body_html_unsafe",
    "body_too_long": "body_too_long",
    "line_break": "text_line_break",
    "control_character": "text_control_character",
    "direction_override": "text_direction_override",
    "draft": "document_not_finalized",
    "format": "file_format_invalid",
    "ubl_kind": "file_format_not_offered",
}


def coded(messages: list[str], code: str) -> list[str]:
    """``messages`` with ``code``, unless they carry one already."""
    return [m if isinstance(m, Problem) else Problem(m, code) for m in messages]


def coded_error(error: ValidationError, fallback: str) -> list[str]:
    """The messages of a check's ValidationError, each with its code (``CHECK_CODES``)."""
    return [
        Problem(str(message), CHECK_CODES.get(str(item.code), fallback))
        for item in error.error_list
        for message in item
    ]


def limit_problem(key: str, **values: object) -> Problem:
    return Problem(limit_message(key, **values), LIMIT_CODES[key])


def problems_error(problems: Problems) -> ValidationError:
    """``problems`` as the ValidationError ``email_send`` raises: ``message_dict`` is exactly
    ``problems``, and each error keeps its code."""
    return ValidationError(
        {
            name: [ValidationError(m, code=problem_code(m)) for m in messages]
            for name, messages in problems.items()
        }
    )


@dataclass(frozen=True)
class Identity:
    transport: str
    from_name: str
    from_address: str
    reply_to: str
    track_opens: bool
    message_id_domain: str


@dataclass
class SendContext:
    """What the requests of one company share: its settings, its sender and the texts read so
    far. ``load_files``: read the document's stored files now (a bulk send leaves them to the
    worker)."""

    company: Company
    email_settings: EmailSettings
    identity: Identity
    texts: dict[tuple[str, str], EmailText] = field(default_factory=dict)
    load_files: bool = True


def send_context(company: Company, *, load_files: bool = True) -> SendContext:
    email_settings = sources.email_settings_for(company)
    return SendContext(
        company=company,
        email_settings=email_settings,
        identity=sender_identity(company, email_settings),
        load_files=load_files,
    )


def send_problems(request: SendRequest) -> Problems:
    """Every problem of ``request``, by field; empty when it can be sent."""
    return send_check(request, send_context(request.document.company))[1]


def send_check(request: SendRequest, context: SendContext) -> tuple[Draft, Problems]:
    """The draft made of ``request`` and every problem found on the way."""
    document = request.document
    draft = Draft(
        file_format=request.file_format or default_format(document, context.email_settings),
        language=recipient_language(document),
    )
    problems: Problems = {}
    _add(problems, GENERAL, identity_problems(context.identity, context.email_settings))
    _add(problems, GENERAL, document_problems(document))
    _add(problems, FILE_FORMAT, format_problems(document, draft.file_format))
    _add_all(problems, recipient_problems(request, draft))
    _add_all(problems, text_problems(request, draft, context))
    _add(problems, ATTACHMENTS, attachment_problems(request.attachments, draft))
    if not problems:
        mailboxes = [mailbox for _kind, mailbox in draft.recipients]
        _add(problems, GENERAL, smtputf8_problems(context, mailboxes))
    if not problems:
        _add(problems, FILE_FORMAT, document_file_problems(document, draft, context))
    if not problems and request.attachments:  # the document's own files travel too
        sizes = [len(f.content) for f in draft.document_files]
        sizes += [a.size for a in request.attachments]
        _add(problems, ATTACHMENTS, message_size_problems(sizes, draft))
    return draft, problems


def _add(problems: Problems, name: str, messages: list[str]) -> None:
    if messages:
        problems.setdefault(name, []).extend(messages)


def _add_all(problems: Problems, more: Problems) -> None:
    for name, messages in more.items():
        _add(problems, name, messages)


# Sender identity


def sender_identity(company: Company, email_settings: EmailSettings) -> Identity:
    """Who sends. Replies go to the reply-to address, or when it is empty to the company's
    address, as the setting's help text promises: with either sending method, so a reply
    never reaches the SMTP account's mailbox by surprise."""
    if email_settings.uses_smtp:
        address = email_settings.smtp_from_address
        return Identity(
            transport=TransportName.SMTP,
            from_name=email_settings.display_sender_name,
            from_address=address,
            reply_to=email_settings.reply_to_address,
            track_opens=False,
            message_id_domain=address.rpartition("@")[2] or settings.PORTO_PLATFORM_SENDING_DOMAIN,
        )
    domain = settings.PORTO_PLATFORM_SENDING_DOMAIN
    return Identity(
        transport=settings.PORTO_MAIL_TRANSPORT,
        from_name=email_settings.display_sender_name,
        from_address=f"{company.slug}@{domain}",
        reply_to=email_settings.reply_to_address,
        track_opens=email_settings.track_opens,
        message_id_domain=domain,
    )


def identity_problems(identity: Identity, email_settings: EmailSettings) -> list[str]:
    problems: list[str] = []
    if identity.transport == TransportName.SMTP and not (
        email_settings.smtp_host and identity.from_address
    ):
        message = _(
            "Your email settings use Own mailbox (SMTP) but the server or the from-address "
            "is missing: complete them in Settings > Email settings."
        )
        problems.append(Problem(message, "sender_not_configured"))
    try:
        checks.clean_header_text(identity.from_name, _("sender name"))
    except ValidationError as error:
        problems.extend(coded_error(error, "sender_not_configured"))
    return problems


# Addresses outside ASCII


def smtputf8_problems(context: SendContext, mailboxes: list[checks.Mailbox]) -> list[str]:
    """Refuse, before anything is queued, a local part outside ASCII (josé@…) that the way
    out cannot carry. The sandbox takes SMTPUTF8; the company's own server is asked (EHLO)
    only when such an address is there; the platform's provider is not relied on for it."""
    identity, email_settings = context.identity, context.email_settings
    addresses = [m.address for m in mailboxes] + [identity.from_address, identity.reply_to]
    international = [a for a in dict.fromkeys(addresses) if a and needs_smtputf8(a)]
    if not international or _way_out_takes_smtputf8(identity, email_settings):
        return []
    if identity.transport == TransportName.SMTP:
        message = _(
            "%(address)s has accents or other non-ASCII letters before the @, and your SMTP "
            "server %(host)s does not accept such addresses (SMTPUTF8): use another address."
        )
    else:
        message = _(
            "%(address)s has accents or other non-ASCII letters before the @, which Porto's "
            "sending service cannot deliver: use another address."
        )
    return [
        Problem(message % {"address": a, "host": email_settings.smtp_host}, "recipient_not_ascii")
        for a in international
    ]


def _way_out_takes_smtputf8(identity: Identity, email_settings: EmailSettings) -> bool:
    if identity.transport == TransportName.SANDBOX:
        return True
    if identity.transport == TransportName.SMTP:
        return SmtpTransport(email_settings.smtp_config()).offers_smtputf8()
    return False


# Document and format


def document_problems(document: Document) -> list[str]:
    if document.is_draft:
        message = _("%(title)s is still a draft: finalize it before sending.") % {
            "title": document.display_title
        }
        return [Problem(message, "document_not_finalized")]
    return []


def default_format(document: Document, email_settings: EmailSettings) -> str:
    if document.kind not in UBL_KINDS:
        return FileFormat.PDF
    return email_settings.default_format


def format_problems(document: Document, file_format: str) -> list[str]:
    if file_format not in FILE_FORMATS:
        message = _("%(format)s is not a file format: choose PDF, UBL or PDF+UBL.") % {
            "format": file_format
        }
        return [Problem(message, "file_format_invalid")]
    if "ubl" in file_format and document.kind not in UBL_KINDS:
        message = _(
            "A %(kind)s cannot be sent as UBL: UBL (Peppol) exists only for invoices and "
            "credit notes. Choose PDF."
        ) % {"kind": document.get_kind_display().lower()}
        return [Problem(message, "file_format_not_offered")]
    return []


def document_file_problems(document: Document, draft: Draft, context: SendContext) -> list[str]:
    """The document's own files: read now for a single send; for a bulk send only the UBL
    rules are checked here and the worker reads the files."""
    if not context.load_files:
        ubl = sources.ubl_problems(document) if "ubl" in draft.file_format else []
        return coded(ubl, "ubl_invalid")
    try:
        draft.document_files = list(sources.document_files(document, draft.file_format))
    except ValidationError as error:
        return coded_error(error, "ubl_invalid")
    return []


# Recipients


def recipient_problems(request: SendRequest, draft: Draft) -> Problems:
    problems: Problems = {}
    seen: set[str] = set()
    for name, kind, values in (
        (TO, Recipient.Kind.TO, request.to),
        (CC, Recipient.Kind.CC, request.cc),
        (BCC, Recipient.Kind.BCC, request.bcc),
    ):
        for value in values:
            try:
                mailbox = checks.clean_mailbox(value)
            except ValidationError as error:
                _add(problems, name, coded(error.messages, "invalid_recipient"))
                continue
            if address_key(mailbox.address) not in seen:
                seen.add(address_key(mailbox.address))
                draft.recipients.append((kind, mailbox))
    has_to = any(kind == Recipient.Kind.TO for kind, _m in draft.recipients)
    if not has_to and TO not in problems:
        _add(problems, TO, [limit_problem("no_recipient")])
    if len(draft.recipients) > MAX_RECIPIENTS:
        count = len(draft.recipients)
        _add(problems, TO, [limit_problem("too_many_recipients", max=MAX_RECIPIENTS, count=count)])
    return problems


# Subject and body


def text_problems(request: SendRequest, draft: Draft, context: SendContext) -> Problems:
    problems: Problems = {}
    rendered = None
    if request.subject is None or request.body_text is None or request.email_text_id:
        try:
            draft.email_text = _email_text(request, draft, context)
            rendered = sources.email_text_render(draft.email_text, request.document, draft.language)
        except EmailText.DoesNotExist:
            _add(
                problems,
                EMAIL_TEXT,
                [
                    Problem(
                        _("The chosen email text does not exist: choose another one."),
                        "email_text_not_found",
                    )
                ],
            )
        except ValidationError as error:
            _add(problems, EMAIL_TEXT, coded(error.messages, "email_text_invalid"))
    subject = request.subject if request.subject is not None else getattr(rendered, "subject", "")
    _add(problems, SUBJECT, subject_problems(subject, draft))
    _add(problems, BODY, body_problems(request, rendered, draft))
    return problems


def _email_text(request: SendRequest, draft: Draft, context: SendContext) -> EmailText:
    document = request.document
    if request.email_text_id:
        return sources.email_text_for(
            context.company, document.kind, draft.language, request.email_text_id
        )
    key = (document.kind, draft.language)
    if key not in context.texts:
        context.texts[key] = sources.email_text_for(context.company, document.kind, draft.language)
    return context.texts[key]


def subject_problems(subject: str, draft: Draft) -> list[str]:
    try:
        draft.subject = checks.clean_header_text(subject, _("subject"))
    except ValidationError as error:
        return coded(error.messages, "subject_invalid")
    if not draft.subject:
        return [limit_problem("no_subject")]
    if len(draft.subject) > MAX_SUBJECT_CHARS:
        count = len(draft.subject)
        return [limit_problem("subject_too_long", count=count, max=MAX_SUBJECT_CHARS)]
    return []


def body_problems(request: SendRequest, rendered, draft: Draft) -> list[str]:
    if request.body_text is not None:
        draft.body_text = request.body_text.replace("\r\n", "\n").strip()
        html = request.body_html or str(linebreaks(escape(draft.body_text)))
    else:
        draft.body_text = getattr(rendered, "body_text", "")
        html = request.body_html or str(getattr(rendered, "body_html", ""))
    if not draft.body_text.strip():
        return [limit_problem("no_body")]
    try:
        checks.clean_body_text(draft.body_text)
        text.clean_multi_line(html, _("message"))
        draft.body_html = checks.clean_html_body(html) if html else ""
    except ValidationError as error:
        return coded_error(error, "body_html_unsafe")
    return []


def recipient_language(document: Document) -> str:
    client = document.client
    if client is not None:
        return client.language
    snapshot = document.client_snapshot or {}
    return str(snapshot.get("language") or document.company.default_language)


# Attachments


def attachment_problems(attachments: list[NewAttachment], draft: Draft) -> list[str]:
    """Every attached file's problem (one per file, all shown), then the size of the whole
    message as it would travel: files grow by a third in base64."""
    problems: list[str] = []
    if len(attachments) > MAX_ATTACHMENTS:
        problems.append(
            limit_problem("too_many_attachments", count=len(attachments), max=MAX_ATTACHMENTS)
        )
    for attachment in attachments:
        try:
            draft.files.append(
                checks.clean_attachment(
                    attachment.filename, attachment.content, attachment.refused_size
                )
            )
        except ValidationError as error:
            problems.extend(coded_error(error, "attachment_refused"))
    problems.extend(message_size_problems([a.size for a in attachments], draft))
    return problems


def message_size_problems(file_sizes: list[int], draft: Draft) -> list[str]:
    """The message would be larger than the limit (``limits.message_size``)."""
    if not file_sizes:
        return []
    size = message_size(
        file_sizes,
        text_bytes=len(draft.body_text.encode()),
        html_bytes=len(draft.body_html.encode()),
    )
    if size <= MAX_TOTAL_BYTES:
        return []
    return [
        limit_problem("attachments_too_big", size=human_size(size), max=size_limit(MAX_TOTAL_BYTES))
    ]
