"""What the sandbox answers to each recipient (RCPT TO), as data.

Every outcome can be reproduced in a demo or a test by choosing the address:

- anything at a ``*.invalid`` domain is refused for good (550 5.1.1);
- an address containing ``+defer`` is told to try again later (451) for its first N attempts,
  then accepted; the count starts again after the acceptance, so every email to such an
  address is deferred N times;
- everything else is accepted.

To add an outcome, add a row to ``sandbox_rules``; the first matching rule decides.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

ACCEPTED = "250 2.1.5 OK"


@dataclass(frozen=True)
class Rule:
    name: str
    matches: Callable[[str], bool]
    reply: str
    # None: the rule always applies. N: it applies to the first N attempts per address only.
    first_attempts: int | None = None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def local_part_of(address: str) -> str:
    return address.rpartition("@")[0].lower()


def at_invalid_domain(address: str) -> bool:
    domain = domain_of(address)
    return domain == "invalid" or domain.endswith(".invalid")


def asks_to_be_deferred(address: str) -> bool:
    return "+defer" in local_part_of(address)


def sandbox_rules(defer_attempts: int = 2) -> tuple[Rule, ...]:
    return (
        Rule(
            "unknown mailbox",
            at_invalid_domain,
            "550 5.1.1 The email account that you tried to reach does not exist",
        ),
        Rule(
            "try again later",
            asks_to_be_deferred,
            "451 4.3.0 Try again later",
            first_attempts=defer_attempts,
        ),
    )


class Rulebook:
    """Applies the rules in order and remembers the attempts per address (in memory: a
    restarted server starts counting again)."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._attempts: Counter[tuple[str, str]] = Counter()

    def reply_for(self, address: str) -> str:
        for rule in self.rules:
            if rule.matches(address) and self._applies(rule, address.lower()):
                return rule.reply
        return ACCEPTED

    def _applies(self, rule: Rule, address: str) -> bool:
        if rule.first_attempts is None:
            return True
        key = (rule.name, address)
        self._attempts[key] += 1
        if self._attempts[key] <= rule.first_attempts:
            return True
        del self._attempts[key]
        return False


def is_accepted(reply: str) -> bool:
    return reply.startswith("2")
