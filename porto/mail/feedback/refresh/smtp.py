"""Own mailbox (SMTP): no provider to ask; Update status reads the company's mailbox for
delivery reports (``porto.mail.feedback.imap``)."""

import datetime

from porto.mail.feedback.imap import ImapScanError, imap_scan
from porto.mail.providers.base.status import Lookup, Observation, RefreshFailed, StatusClient


class SmtpClient(StatusClient):
    name = "smtp"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        return []  # the scan records what it finds for every email of the company at once

    def refresh(self, email, lookups: list[Lookup], now: datetime.datetime) -> int:
        self.limiter.wait()
        try:
            return imap_scan(email.company, now=now).recorded
        except ImapScanError as error:
            raise RefreshFailed(error.message) from error
