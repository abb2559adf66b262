"""The sending limits at the gate, over a simulated outbox on a fake clock (both stores): a
bulk send goes at the configured rate, each waiting email is woken once at its own slot
(no stampede), companies sharing a provider account take turns (a small company's invoice is
not starved), and a batch no limit applies to costs no statement."""

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from porto.emailsettings.models import EmailSettings, Method
from porto.mail.gate import CHECKS, Wait
from porto.mail.limits.check import limits_check
from porto.mail.limits.rates import per_minute
from porto.mail.limits.stores import RedisStore
from porto.mail.models import OutgoingEmail
from tests.factories import make_company
from tests.mail.limits_helpers import STORES, both_stores

store = pytest.fixture(params=STORES)(both_stores)
pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
BATCH = 25
RATE = OutgoingEmail.Held.RATE


def email_new(pk: int, company_id: int, at: dt.datetime, *, bulk: bool = True, **fields):
    return OutgoingEmail(
        pk=pk,
        company_id=company_id,
        transport=fields.pop("transport", "provider"),
        bulk_job_id=1 if bulk else None,
        next_attempt_at=at,
        **fields,
    )


@dataclass
class Outbox:
    """Emails in memory, claimed in batches of 25 when due, as workers would."""

    emails: list[OutgoingEmail]
    store: object
    sent: dict[int, dt.datetime] = field(default_factory=dict)
    claims: int = 0
    wake_ups: int = 0  # deferred tasks planned: one per distinct moment of a batch's waits

    def run(self) -> None:
        while len(self.sent) < len(self.emails):
            waiting = [e for e in self.emails if e.pk not in self.sent]
            now = min(e.next_attempt_at for e in waiting)
            due = sorted((e for e in waiting if e.next_attempt_at <= now), key=lambda e: e.pk)
            for start in range(0, len(due), BATCH):
                self.deliver(due[start : start + BATCH], now)

    def deliver(self, batch: list[OutgoingEmail], now: dt.datetime) -> None:
        self.claims += len(batch)
        waits = limits_check(batch, now, store=lambda: self.store)
        self.wake_ups += len({wait.until for wait in waits.values()})
        for email in batch:
            if email.pk in waits:
                assert waits[email.pk].why == RATE and waits[email.pk].until > now
                email.next_attempt_at, email.held = waits[email.pk].until, RATE
            else:
                self.sent[email.pk], email.held = now, ""

    def times(self, company_id: int | None = None) -> list[float]:
        return sorted(
            (self.sent[e.pk] - T0).total_seconds()
            for e in self.emails
            if company_id is None or e.company_id == company_id
        )


def busiest_minute(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 60) for start in times)


@pytest.fixture
def provider_at_60_a_minute(settings):
    settings.PORTO_MAIL_PROVIDER_RATES = "postmark=60/min"
    settings.PORTO_ANYMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.PORTO_MAIL_COMPANY_PER_MINUTE = "0"


def test_the_limits_check_is_in_the_gate():
    assert limits_check in CHECKS


def test_a_bulk_send_goes_at_the_rate_each_email_claimed_at_most_twice(
    store, provider_at_60_a_minute
):
    outbox = Outbox([email_new(n, 1, T0) for n in range(1, 1001)], store)
    outbox.run()
    times = outbox.times()
    assert len(times) == 1000
    assert busiest_minute(times) <= 60
    assert times.count(0.0) == per_minute(60).burst == 6
    # Each waiting email: claimed once when it arrived, once more at its own slot, never again.
    assert outbox.claims <= 2 * 1000 - 6, outbox.claims
    assert outbox.wake_ups <= 1000 - 6


def test_a_small_companys_invoice_is_not_starved_by_another_companys_bulk_send(
    store, provider_at_60_a_minute
):
    big = [email_new(n, 1, T0) for n in range(1, 2001)]
    invoice = email_new(5000, 2, T0 + dt.timedelta(seconds=30), bulk=False)
    outbox = Outbox([*big, invoice], store)
    outbox.run()
    waited = (outbox.sent[invoice.pk] - invoice_arrival(invoice)).total_seconds()
    assert waited <= 3 * 60 / 54  # within three slots, not after 2,000 emails (37 minutes)
    assert busiest_minute(outbox.times()) <= 60
    assert outbox.claims <= 2 * 2001 + 5, outbox.claims


def invoice_arrival(email: OutgoingEmail) -> dt.datetime:
    return T0 + dt.timedelta(seconds=30)


def test_two_bulk_sends_on_one_account_take_turns(store, provider_at_60_a_minute):
    first = [email_new(n, 1, T0) for n in range(1, 601)]
    later = [email_new(n, 2, T0 + dt.timedelta(minutes=1)) for n in range(1001, 1101)]
    outbox = Outbox([*first, *later], store)
    outbox.run()
    # Served side by side: the later company's 100 go within about 200 slots, long before the
    # first company's 600 are done (in one line they would wait for all of them).
    assert outbox.times(2)[-1] <= 60 + 200 * 60 / 54 + 5
    assert outbox.times(2)[-1] < outbox.times(1)[-1] - 60
    assert busiest_minute(outbox.times()) <= 60
    # Twice each, and once more for each email of the later company: the first company's
    # slots, given while it was alone, were closer than its share; those that come before
    # their turn go to the end of its line.
    assert outbox.claims <= 2 * 700 + 100 + 5, outbox.claims


def test_a_companys_single_invoice_does_not_wait_behind_its_own_bulk_send(
    store, provider_at_60_a_minute
):
    bulk = [email_new(n, 1, T0) for n in range(1, 301)]
    invoice = email_new(999, 1, T0 + dt.timedelta(seconds=10), bulk=False)
    outbox = Outbox([*bulk, invoice], store)
    outbox.run()
    assert (outbox.sent[invoice.pk] - T0).total_seconds() <= 10 + 3 * 60 / 54


def own_smtp(company, per_minute: int, username: str = "facturen") -> None:
    EmailSettings.objects.create(
        company=company,
        method=Method.SMTP,
        smtp_host="mail.shared-host.example",
        smtp_port=587,
        smtp_username=username,
        smtp_from_address=f"facturen@{company.slug}.example",
        smtp_per_minute=per_minute,
    )


def test_companies_sharing_one_smtp_account_share_its_strictest_rate(store):
    quick, careful, apart = (make_company(slug=s) for s in ("quick", "careful", "apart"))
    own_smtp(quick, 600)
    own_smtp(careful, 10)  # a burst of 1, then 9 a minute
    own_smtp(apart, 10, username="other-login")
    emails = [email_new(n, quick.pk, T0, transport="smtp", company=quick) for n in (1, 2, 3)]
    emails.append(email_new(4, apart.pk, T0, transport="smtp", company=apart))
    waits = limits_check(emails, T0, store=lambda: store)
    assert sorted(waits) == [2, 3]  # one token for the shared account; its own for "apart"
    assert waits[2].until == T0 + dt.timedelta(seconds=60 / 9)


def test_the_company_limit_comes_on_top_of_the_way_out(store, settings):
    settings.PORTO_MAIL_PROVIDER_RATES = ""
    settings.PORTO_MAIL_COMPANY_PER_MINUTE = "10"
    emails = [email_new(n, 7, T0) for n in (1, 2)] + [email_new(3, 8, T0)]
    waits = limits_check(emails, T0, store=lambda: store)
    assert list(waits) == [2]


def test_no_limit_for_the_sandbox_nor_a_provider_without_a_rate(settings):
    settings.PORTO_MAIL_PROVIDER_RATES = "brevo=1/h"
    settings.PORTO_ANYMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.PORTO_MAIL_COMPANY_PER_MINUTE = "0"
    emails = [email_new(n, 1, T0, transport=t) for n, t in ((1, "sandbox"), (2, "provider"))]
    with CaptureQueriesContext(connection) as queries:
        assert limits_check(emails * 1, T0) == {}
    assert len(queries) == 0


def test_a_limited_batch_costs_a_few_statements_for_its_key_not_per_email(settings):
    settings.PORTO_MAIL_LIMITS_STORE = "db"
    company = make_company(slug="acme-smtp")
    own_smtp(company, 30)
    batch = [email_new(n, company.pk, T0, transport="smtp", company=company) for n in range(25)]
    limits_check(batch, T0)  # the key's row is made once
    later = T0 + dt.timedelta(minutes=5)
    with CaptureQueriesContext(connection) as queries:
        waits = limits_check(batch, later)
    assert len(waits) == 22  # three go (the burst), 22 wait
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # the company's settings, the account's strictest rate, the bucket locked and written
    assert len(statements) == 4, statements


def test_waits_are_spread_one_slot_apart(store, provider_at_60_a_minute):
    waits = limits_check([email_new(n, 1, T0) for n in range(1, 11)], T0, store=lambda: store)
    moments = sorted(wait.until for wait in waits.values())
    assert len(moments) == 4 and len(set(moments)) == 4
    gaps = {round((b - a).total_seconds(), 4) for a, b in itertools.pairwise(moments)}
    assert gaps == {round(60 / 54, 4)}


def test_an_unreachable_redis_makes_the_emails_wait_never_fail(provider_at_60_a_minute):
    unreachable = RedisStore("redis://127.0.0.1:1/0")
    emails = [email_new(n, 1, T0) for n in (1, 2)]
    waits = limits_check(emails, T0, store=lambda: unreachable)
    assert waits == dict.fromkeys([1, 2], Wait(T0 + dt.timedelta(seconds=30), RATE))
