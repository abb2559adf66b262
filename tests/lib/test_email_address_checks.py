"""An address is checked by email-validator once per process, however many documents of a
bulk send name it; a refused address is checked (and refused) again every time, in the
reader's language."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from porto.lib import identifiers
from porto.lib.identifiers import clean_email_address


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """The addresses given to email-validator from now on."""
    seen: list[str] = []
    validate = identifiers.validate_email

    def counted(address, **options):
        seen.append(address)
        return validate(address, **options)

    identifiers._validated.cache_clear()
    monkeypatch.setattr(identifiers, "validate_email", counted)
    yield seen
    identifiers._validated.cache_clear()


def test_an_address_named_again_is_not_validated_again(validations):
    results = [clean_email_address(" Jan@Cafe-Elysee.EXAMPLE ") for _ in range(3)]
    results.append(clean_email_address("Jan@Cafe-Elysee.EXAMPLE"))
    assert results == ["Jan@cafe-elysee.example"] * 4
    assert validations == ["Jan@Cafe-Elysee.EXAMPLE"]


def test_a_refused_address_is_refused_every_time_in_the_readers_language(validations):
    messages = []
    for language in ("nl", "fr"):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            clean_email_address("jan@@cafe.example")
        messages.append(refused.value.messages[0])
    assert messages[0].startswith("jan@@cafe.example is geen geldig e-mailadres")
    assert messages[1].startswith("jan@@cafe.example n'est pas une adresse e-mail valide")
    assert validations == ["jan@@cafe.example"] * 2


def test_a_must_fail_domain_is_checked_through_its_stand_in_and_given_back_as_typed(validations):
    assert clean_email_address("jan@acme.invalid") == "jan@acme.invalid"
    assert clean_email_address("jan@acme.example") == "jan@acme.example"
    assert validations == ["jan@acme.example"]
