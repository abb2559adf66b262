"""The country list: EU and common countries by ISO code, sorted as the reader spells them."""

from django.utils import translation

from porto.clients.countries import COUNTRIES, country_choices, country_name

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]


def test_every_eu_country_and_the_common_others_are_offered():
    assert set(EU) | {"GB", "CH", "NO", "US"} <= set(COUNTRIES)
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES)


def test_choices_are_sorted_by_name_accents_ignored():
    with translation.override("en"):
        names = [name for _code, name in country_choices()]
    assert names[:3] == ["Australia", "Austria", "Belgium"]
    assert names.index("Türkiye") < names.index("United Arab Emirates")


def test_an_unknown_code_is_shown_as_it_is():
    with translation.override("en"):
        assert country_name("BE") == "Belgium"
    assert country_name("XK") == "XK"
