"""The gate before a hand-off: emails of a claimed batch that may not go now wait, untried.

Each check looks at the whole batch at once (a few statements per batch, never per email)
and says which emails must wait, until when and why (``OutgoingEmail.Held``). An email that
waits is given back to the outbox without counting an attempt: it is never failed for it.
Checks run in order; an email held by one is not shown to the next.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from porto.mail.breaker import breaker_holds
from porto.mail.models import OutgoingEmail


@dataclass(frozen=True)
class Wait:
    until: datetime.datetime
    why: str  # an OutgoingEmail.Held value
    # The email was handed off and its session failed (porto.mail.breaker): its attempt stays
    # counted in the log; an untried email's attempt is taken back.
    tried: bool = False


Check = Callable[[list[OutgoingEmail], datetime.datetime], dict[int, Wait]]


def paused_way_check(emails: list[OutgoingEmail], now: datetime.datetime) -> dict[int, Wait]:
    """Emails whose way out is paused wait for its next try (porto.mail.breaker)."""
    paused = OutgoingEmail.Held.PAUSED
    return {pk: Wait(until, paused) for pk, until in breaker_holds(emails, now).items()}


# In order: a paused transport first (it takes no tokens), then the sending limits.
CHECKS: list[Check] = [paused_way_check]


def gate_batch(
    emails: list[OutgoingEmail], now: datetime.datetime
) -> tuple[list[OutgoingEmail], dict[int, Wait]]:
    """The emails that may go now, and the ones that wait with their Wait."""
    waits: dict[int, Wait] = {}
    for check in CHECKS:
        going = [email for email in emails if email.pk not in waits]
        if not going:
            break
        waits |= check(going, now)
    return [email for email in emails if email.pk not in waits], waits
