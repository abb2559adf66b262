"""The send pop-up's one write: send once per idempotency key."""

from django.db import IntegrityError, transaction

from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.web.models import SendKey


def email_send_once(key: str, request: SendRequest) -> tuple[OutgoingEmail | None, bool]:
    """(email, sent_now). A key already used returns its email and sends nothing; a send that
    fails validation raises and leaves the key free."""
    existing = SendKey.objects.filter(key=key).select_related("email").first()
    if existing is not None:
        return existing.email, False
    try:
        with transaction.atomic():
            send_key = SendKey.objects.create(key=key)
            email = email_send(request)
            send_key.email = email
            send_key.save(update_fields=["email"])
    except IntegrityError:
        # The same key committed meanwhile (two clicks at once): that one sent it.
        taken = SendKey.objects.filter(key=key).select_related("email").first()
        return (taken.email if taken else None), False
    return email, True
