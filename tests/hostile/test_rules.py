"""The character rules of typed text (porto.lib.text) and of addresses and sender names
(porto.lib.identifiers), over every catalogue entry tried on them: every form reads these."""

import pytest
from django.core.exceptions import ValidationError

from porto.lib.identifiers import clean_email_address, clean_sender_name
from porto.lib.text import clean_multi_line, clean_single_line
from tests.hostile.catalogue import Accepted, Refused, cases

RULES = {
    "single_line": lambda value: clean_single_line(value, "name"),
    "multi_line": lambda value: clean_multi_line(value, "description"),
    "address": clean_email_address,
    "sender_name": clean_sender_name,
}


@pytest.mark.parametrize(("entry", "use"), cases("rules"))
def test_each_rule_refuses_or_keeps_the_catalogue_entry_exactly(entry, use):
    value = entry.built()
    rule = RULES[use.field]
    if isinstance(use.outcome, Accepted):
        assert rule(value) == value
        return
    assert isinstance(use.outcome, Refused)
    with pytest.raises(ValidationError) as caught:
        rule(value)
    assert len(caught.value.messages) == 1
    assert use.outcome.fragment in caught.value.messages[0]


def test_a_sender_name_that_looks_like_an_address_is_refused_with_its_code():
    with pytest.raises(ValidationError) as caught:
        clean_sender_name("billing@kbc.example")
    assert caught.value.code == "sender_name_address"


def test_an_empty_sender_name_is_accepted():
    assert clean_sender_name("") == ""
