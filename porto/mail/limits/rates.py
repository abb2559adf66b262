"""Sending rates: "N emails per period", parsed from settings, and the token bucket each one
becomes. Pure: no database, no Django.

A rate of N per period P holds at the receiving server in the strict sense: **in any window of
length P at most N emails go**. The bucket lets a small burst go at once (N/10, rounded up:
3 for 30 a minute) and refills at (N - burst) per P, so the burst is taken from the same N
rather than added to it. Over time the rate is N - burst per period (27 a minute for 30).
"""

import math
import re
from dataclasses import dataclass

PERIODS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0}
PERIOD_NAMES = "s, min or h"
RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


class RateError(ValueError):
    """A rate setting Porto cannot read; the message says what to write instead."""


@dataclass(frozen=True)
class Rate:
    count: int  # at most this many emails...
    period: float  # ...in any window of this many seconds

    @property
    def burst(self) -> int:
        """Emails that may go at once after a quiet spell: a tenth of N, at least one."""
        return max(1, math.ceil(self.count / 10))

    @property
    def refill(self) -> float:
        """Tokens per second. With N = 1 the burst is the whole N: one email per period."""
        steady = self.count - self.burst if self.count > self.burst else self.count
        return steady / self.period

    def per_minute(self) -> float:
        return self.count * 60.0 / self.period


def per_minute(count: int) -> Rate:
    return Rate(count=count, period=60.0)


def rate_parse(text: str) -> Rate:
    """ "50/s", "400/min", "1000/h" → Rate."""
    match = RATE.match(text.lower())
    if not match or match.group(2) not in PERIODS:
        raise RateError(
            f"{text!r} is not a rate: write it as a count per {PERIOD_NAMES}, e.g. 50/s"
        )
    count = int(match.group(1))
    if count < 1:
        raise RateError(
            f"{text!r}: the count must be at least 1 (leave a provider out for no limit)"
        )
    return Rate(count=count, period=PERIODS[match.group(2)])


def provider_rates_parse(text: str, known: set[str]) -> dict[str, Rate]:
    """PORTO_MAIL_PROVIDER_RATES: "postmark=50/s,brevo=400/min"; empty: no limit at all."""
    rates: dict[str, Rate] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sign, value = item.partition("=")
        name = name.strip().lower()
        if not sign or not name:
            raise RateError(f"{item!r} is not provider=rate, e.g. postmark=50/s")
        if name not in known:
            raise RateError(
                f"{name!r} is not a provider Porto sends through: use one of {', '.join(sorted(known))}"
            )
        if name in rates:
            raise RateError(f"{name!r} is given twice")
        rates[name] = rate_parse(value)
    return rates


def company_rate_parse(value: object) -> Rate | None:
    """PORTO_MAIL_COMPANY_PER_MINUTE: emails a minute per company; 0 or empty: no limit."""
    text = str(value).strip()
    if not text:
        return None
    if not text.isdigit():
        raise RateError(f"{text!r} is not a whole number of emails a minute (0: no limit)")
    count = int(text)
    return per_minute(count) if count else None
