"""Update status for emails sent through the sandbox: its inbox is the provider's store. A
stored message proves delivery to its envelope recipients (the same event, with the same key,
as the sandbox's own report). Registered with mail's refresh services in ``apps.py``."""

import datetime

from porto.mail.providers.base.status import Lookup, Observation, StatusClient
from porto.mail.status import Event, EventType
from porto.sandbox.models import SandboxMessage


class SandboxClient(StatusClient):
    name = "sandbox"

    @property
    def source(self) -> str:
        return "sandbox"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        self.limiter.wait()
        wanted = {a.lower() for a in lookup.addresses}
        found = []
        messages = SandboxMessage.objects.filter(
            message_id__in=[lookup.our_message_id, f"<{lookup.our_message_id}>"]
        ).only("pk", "envelope_recipients", "received_at", "message_id")
        for message in messages:
            for address in message.envelope_recipients:
                if address.lower() in wanted:
                    found.append(
                        Observation(
                            recipient=address,
                            event=Event(EventType.DELIVERED, at=message.received_at),
                            provider_event_id=f"delivered:{message.pk}:{address.lower()}",
                            message_id=message.message_id,
                        )
                    )
        return found
