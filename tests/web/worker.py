"""The worker, run by the test when it wants: delivers every email waiting in the outbox."""

from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail


def run_worker() -> dict[int, str]:
    waiting = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).values_list(
        "pk", flat=True
    )
    return {pk: email_deliver(pk) for pk in list(waiting)}
