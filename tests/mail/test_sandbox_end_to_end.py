"""The whole way through the embedded sandbox server: acceptance, a 550 at *.invalid and a
'+defer' address that is accepted after its 451s, each reported per recipient; what the sandbox
received is reported back as delivered through record_event."""

import datetime

from porto.mail.delivery import email_deliver
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.sandbox.models import SandboxMessage


def test_every_outcome_through_the_sandbox(sandbox, invoice, company):
    email = email_send(
        SendRequest(
            document=invoice,
            to=["compta@cafe-elysee.example", "nobody@klant.invalid"],
            cc=["later+defer@cafe-elysee.example"],
        )
    )
    now = email.created_at
    outcomes = []
    while (outcome := email_deliver(email.pk, now=now)) == "retry":
        outcomes.append(outcome)
        email.refresh_from_db()
        now = email.next_attempt_at + datetime.timedelta(seconds=1)
    assert (outcomes, outcome) == (["retry", "retry"], "sent")

    recipients = {r.address: r for r in email.recipients.all()}
    refused = recipients["nobody@klant.invalid"]
    assert reason_render(refused.failure_reason).startswith(
        "The recipient's server says the mailbox does not exist (550 5.1.1"
    )
    assert refused.status(now) == Status.FAILED
    later = recipients["later+defer@cafe-elysee.example"]
    assert later.last_deferred_at is not None and later.accepted_at is not None
    # The sandbox reported what it stored: delivered, by Message-ID and address.
    assert recipients["compta@cafe-elysee.example"].status(now) == Status.DELIVERED
    assert later.status(now) == Status.DELIVERED

    stored = list(SandboxMessage.objects.order_by("pk"))
    assert [m.envelope_recipients for m in stored] == [
        ["compta@cafe-elysee.example"],
        ["later+defer@cafe-elysee.example"],
    ]
    assert {m.company_id for m in stored} == {company.pk}
    assert {m.message_id for m in stored} == {f"<{email.message_id}>"}
