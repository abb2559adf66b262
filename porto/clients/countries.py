"""The countries a client may be in: the EU and the countries Belgian businesses most often
invoice, by ISO 3166-1 alpha-2 code, with names in the reader's language."""

from django.utils.translation import gettext_lazy as _

from porto.lib.search import search_key

COUNTRIES = {
    "AT": _("Austria"),
    "BE": _("Belgium"),
    "BG": _("Bulgaria"),
    "HR": _("Croatia"),
    "CY": _("Cyprus"),
    "CZ": _("Czechia"),
    "DK": _("Denmark"),
    "EE": _("Estonia"),
    "FI": _("Finland"),
    "FR": _("France"),
    "DE": _("Germany"),
    "GR": _("Greece"),
    "HU": _("Hungary"),
    "IE": _("Ireland"),
    "IT": _("Italy"),
    "LV": _("Latvia"),
    "LT": _("Lithuania"),
    "LU": _("Luxembourg"),
    "MT": _("Malta"),
    "NL": _("Netherlands"),
    "PL": _("Poland"),
    "PT": _("Portugal"),
    "RO": _("Romania"),
    "SK": _("Slovakia"),
    "SI": _("Slovenia"),
    "ES": _("Spain"),
    "SE": _("Sweden"),
    "GB": _("United Kingdom"),
    "CH": _("Switzerland"),
    "NO": _("Norway"),
    "IS": _("Iceland"),
    "LI": _("Liechtenstein"),
    "MC": _("Monaco"),
    "TR": _("Türkiye"),
    "US": _("United States"),
    "CA": _("Canada"),
    "AU": _("Australia"),
    "NZ": _("New Zealand"),
    "SG": _("Singapore"),
    "JP": _("Japan"),
    "CN": _("China"),
    "IN": _("India"),
    "AE": _("United Arab Emirates"),
    "MA": _("Morocco"),
}


# The member states of the European Union (an intra-community supply goes to one of them).
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip


def country_name(code: str) -> str:
    """The country's name in the active language; an unknown code as it is."""
    name = COUNTRIES.get(code)
    return str(name) if name is not None else code


def country_choices() -> list[tuple[str, str]]:
    """(code, name) sorted by name as the reader spells it, accents ignored."""
    names = [(code, str(name)) for code, name in COUNTRIES.items()]
    return sorted(names, key=lambda choice: search_key(choice[1]))
