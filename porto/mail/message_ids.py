"""Message ids as providers give them and post them back: one spelling, used both when the id
is stored at hand-off and when an event is matched to it.

What each provider returns from its send call (through anymail) and names in its events:

=========== ============================================ ======================================
provider    send answer (anymail_status)                 events
=========== ============================================ ======================================
Postmark    ``MessageID``, a UUID                         ``MessageID``, the same UUID
Mailgun     ``id``: ``<20261201…@mg.example>``            ``message.headers.message-id``, bare
SendGrid    anymail's own UUID, sent as ``anymail_id``    the ``anymail_id`` custom argument
Amazon SES  ``MessageId``: ``0102…-000000``               ``mail.messageId``, the same
Brevo       ``messageId``: ``<…@smtp-relay.mailin.fr>``   ``message-id`` with or without ``<>``
Mailjet     ``MessageID``, a 64-bit number                ``MessageID``, the same number
Resend      ``id``, a UUID                                ``data.email_id``, the same UUID
Postal      ``messages[address].id``, a number            ``payload.message.id``, the same number
SparkPost   ``results.id``, the transmission id           ``transmission_id``, the same
=========== ============================================ ======================================

So the one difference is the angle brackets around RFC 5322 message ids (Mailgun, Brevo, and
our own Message-ID header): whitespace and one pair of brackets are removed. Letter case is
kept for every provider: none of them documents its ids as case-insensitive, each posts back
exactly the characters it returned, and the Message-ID's left part is case-sensitive.
"""


def message_id_normalise(message_id: object) -> str:
    """The id without surrounding whitespace or one pair of angle brackets; numbers as text."""
    text = "" if message_id is None else str(message_id).strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text
