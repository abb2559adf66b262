"""The limits' settings read as rates, every bad one refused at startup with a clear error,
and the bucket a rate becomes: at most N emails in any window of one period."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from porto.mail.limits.bucket import LaneAsk, bucket_new, bucket_take
from porto.mail.limits.rates import (
    Rate,
    RateError,
    company_rate_parse,
    per_minute,
    provider_rates_parse,
    rate_parse,
)
from porto.mail.limits.stores import store_kind

KNOWN = {"postmark", "brevo", "amazon_ses"}


def test_a_rate_is_a_count_per_second_minute_or_hour():
    assert rate_parse("50/s") == Rate(50, 1.0)
    assert rate_parse("400/min") == Rate(400, 60.0)
    assert rate_parse(" 1000 / h ") == Rate(1000, 3600.0)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("50", "is not a rate: write it as a count per s, min or h"),
        ("50/day", "is not a rate"),
        ("fifty/s", "is not a rate"),
        ("-5/s", "is not a rate"),
        ("0/s", "the count must be at least 1"),
    ],
)
def test_a_bad_rate_says_how_to_write_one(text, says):
    with pytest.raises(RateError, match=says):
        rate_parse(text)


def test_provider_rates_are_read_per_provider_and_empty_means_no_limit():
    assert provider_rates_parse("", KNOWN) == {}
    assert provider_rates_parse("postmark=50/s, Brevo=400/min", KNOWN) == {
        "postmark": Rate(50, 1.0),
        "brevo": Rate(400, 60.0),
    }


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("postmrk=50/s", "'postmrk' is not a provider Porto sends through: use one of amazon_ses"),
        ("postmark:50/s", "is not provider=rate, e.g. postmark=50/s"),
        ("=50/s", "is not provider=rate"),
        ("postmark=50/s,postmark=10/s", "'postmark' is given twice"),
        ("postmark=lots", "is not a rate"),
    ],
)
def test_bad_provider_rates_are_refused_with_what_is_wrong(text, says):
    with pytest.raises(RateError, match=says):
        provider_rates_parse(text, KNOWN)


def test_the_company_rate_is_emails_a_minute_and_zero_or_empty_is_none():
    assert company_rate_parse("120") == per_minute(120)
    assert company_rate_parse(0) is None
    assert company_rate_parse("") is None
    with pytest.raises(RateError, match="not a whole number of emails a minute"):
        company_rate_parse("12.5")
    with pytest.raises(RateError, match="not a whole number"):
        company_rate_parse("-3")


def test_startup_stops_on_a_bad_limit_setting(settings):
    settings.PORTO_MAIL_PROVIDER_RATES = "postmark=50/fortnight"
    with pytest.raises(
        ImproperlyConfigured,
        match="Sending limits: '50/fortnight' is not a rate",
    ):
        apps.get_app_config("mail").ready()
    settings.PORTO_MAIL_PROVIDER_RATES = ""
    settings.PORTO_MAIL_COMPANY_PER_MINUTE = "many"
    with pytest.raises(ImproperlyConfigured, match="'many' is not a whole number"):
        apps.get_app_config("mail").ready()


def test_the_store_follows_the_task_backend_unless_chosen(settings):
    settings.PORTO_MAIL_LIMITS_STORE = ""
    settings.PORTO_TASK_BACKEND = "rq"
    assert store_kind() == "redis"
    settings.PORTO_TASK_BACKEND = "db"
    assert store_kind() == "db"
    settings.PORTO_MAIL_LIMITS_STORE = "redis"
    assert store_kind() == "redis"
    settings.PORTO_MAIL_LIMITS_STORE = "memcached"
    with pytest.raises(ImproperlyConfigured, match="'memcached' is not known: use 'db' or 'redis'"):
        store_kind()


def test_the_burst_is_a_tenth_of_the_rate_and_comes_out_of_it():
    assert (per_minute(30).burst, per_minute(30).refill * 60) == (3, 27)
    assert (per_minute(1).burst, per_minute(1).refill * 60) == (1, 1)
    assert (rate_parse("50/s").burst, rate_parse("50/s").refill) == (5, 45)


def greedy_sends(rate: Rate, seconds: float, step: float) -> list[float]:
    """At every step a new sender (its own lane) asks for a token; when it gets one, it sends."""
    state = bucket_new(rate, 0.0)
    sent = []
    now = 0.0
    number = 0
    while now < seconds:
        number += 1
        lane = f"sender-{number}"
        if bucket_take(state, rate, [LaneAsk(lane, 0, 1)], now)[lane].granted_fresh:
            sent.append(now)
        now = round(now + step, 6)
    return sent


def busiest_window(sent: list[float], seconds: float) -> int:
    return max(sum(1 for t in sent if start <= t < start + seconds) for start in sent)


@pytest.mark.parametrize("count", [1, 2, 7, 30, 100])
def test_no_window_of_one_period_sees_more_than_the_rate(count):
    rate = per_minute(count)
    sent = greedy_sends(rate, 600, 0.25)
    assert len(sent) > count  # the test saw several periods
    assert busiest_window(sent, 60) <= count


def backlog_sends(rate: Rate, emails: int) -> tuple[list[float], int]:
    """``emails`` asked at once; each waiting one asks again at its slot. The send times and
    how many times an email asked."""
    state = bucket_new(rate, 0.0)
    answer = bucket_take(state, rate, [LaneAsk("bulk", 0, emails)], 0.0)["bulk"]
    sent = [0.0] * answer.granted_fresh
    slots = [answer.start + n * answer.spacing for n in range(emails - answer.granted_fresh)]
    asked = emails
    while slots:
        slot = slots.pop(0)
        asked += 1
        again = bucket_take(state, rate, [LaneAsk("bulk", 1, 0)], slot)["bulk"]
        if again.granted_due:
            sent.append(slot)
        else:
            slots.append(again.retry_at if again.retry else again.start)
    return sent, asked


def test_a_backlog_goes_at_the_rate_each_email_asking_twice_at_most():
    rate = per_minute(30)
    sent, asked = backlog_sends(rate, 300)
    assert len(sent) == 300
    assert sent.count(0.0) == rate.burst == 3  # the burst goes at once, then the rate
    assert busiest_window(sent, 60) <= 30
    assert asked <= 2 * 300 - rate.burst  # the first ask, and once more at the slot
