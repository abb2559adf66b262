from porto.sandbox.rules import ACCEPTED, Rule, Rulebook, sandbox_rules

UNKNOWN = "550 5.1.1 The email account that you tried to reach does not exist"
LATER = "451 4.3.0 Try again later"


def test_addresses_at_invalid_domains_are_always_refused():
    book = Rulebook(sandbox_rules())

    for address in ["a@klant.invalid", "a@sub.klant.INVALID", "a@invalid", "a@klant.invalid."]:
        assert [book.reply_for(address) for _ in range(3)] == [UNKNOWN] * 3


def test_lookalike_domains_are_accepted():
    book = Rulebook(sandbox_rules())

    for address in ["a@invalid.example", "a@notinvalid", "invalid@klant.example"]:
        assert book.reply_for(address) == ACCEPTED


def test_defer_address_is_deferred_n_times_then_accepted_and_the_count_starts_again():
    book = Rulebook(sandbox_rules(defer_attempts=2))

    replies = [book.reply_for("Finance+Defer@klant.example") for _ in range(6)]

    assert replies == [LATER, LATER, ACCEPTED] * 2


def test_the_number_of_deferrals_is_configurable():
    assert [Rulebook(sandbox_rules(0)).reply_for("x+defer@k.example")] == [ACCEPTED]
    book = Rulebook(sandbox_rules(defer_attempts=4))
    assert [book.reply_for("x+defer@k.example") for _ in range(5)] == [LATER] * 4 + [ACCEPTED]


def test_the_count_is_per_address_ignoring_case():
    book = Rulebook(sandbox_rules(defer_attempts=1))

    assert book.reply_for("a+defer@k.example") == LATER
    assert book.reply_for("b+defer@k.example") == LATER
    assert book.reply_for("A+DEFER@k.example") == ACCEPTED


def test_invalid_domain_wins_over_defer():
    assert Rulebook(sandbox_rules()).reply_for("a+defer@k.invalid") == UNKNOWN


def test_a_new_rule_is_one_more_row():
    full = Rule("mailbox full", lambda a: a.startswith("full@"), "452 4.2.2 Mailbox full")
    book = Rulebook((*sandbox_rules(), full))

    assert book.reply_for("full@klant.example") == "452 4.2.2 Mailbox full"
    assert book.reply_for("other@klant.example") == ACCEPTED
