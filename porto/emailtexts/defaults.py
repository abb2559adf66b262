"""The texts Porto ships: one per kind and language, written as a Belgian business writes them.

They are data, not translations of one another: each language has its own conventions
("Gelieve … over te schrijven", "Veuillez agréer …", "Kind regards"). A company gets a copy
of each on first use and can change it; "reset" copies the shipped one back.

The French texts use a no-break space before ":" as French typography wants.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ShippedText:
    key: str
    name: str
    subject: str
    body: str


NAMES = {"nl": "Standaardtekst", "fr": "Texte standard", "en": "Standard text"}

_NL_CLOSING = "Met vriendelijke groeten,\n{company_name}"
_FR_CLOSING = "Veuillez agréer, Madame, Monsieur, nos salutations distinguées.\n\n{company_name}"
_EN_CLOSING = "Kind regards,\n{company_name}"

# The invoice texts' {payment_request}: the amount and how to pay it, or, for an invoice paid in
# full in advance, that nothing is left to pay (no amount, due date, account or structured
# communication to quote). The amount lives here, not in the opening sentence, so a fully
# prepaid invoice's email never opens with an amount to pay.
PAYMENT_REQUESTS = {
    "nl": "Gelieve het bedrag van {amount_due} uiterlijk op {due_date} over te schrijven op "
    "rekeningnummer {iban} met de gestructureerde mededeling {structured_communication}.",
    "fr": "Nous vous remercions de bien vouloir verser le montant de {amount_due} au plus tard "
    "le {due_date} sur le compte {iban}, avec la communication structurée "
    "{structured_communication}.",
    "en": "We kindly ask you to pay the amount of {amount_due} by {due_date} to account {iban}, "
    "quoting the structured communication {structured_communication}.",
}
PAID_IN_FULL = {
    "nl": "Deze factuur is volledig betaald: u hoeft niets meer te betalen.",
    "fr": "Cette facture est entièrement payée\u00a0: vous n'avez rien à payer.",
    "en": "This invoice has been paid in full: there is nothing to pay.",
}


def payment_request(language: str, values: dict[str, str], *, paid_in_full: bool) -> str:
    """The payment sentence in ``language``, filled with the other placeholders' ``values``."""
    if paid_in_full:
        return PAID_IN_FULL.get(language, PAID_IN_FULL["en"])
    return PAYMENT_REQUESTS.get(language, PAYMENT_REQUESTS["en"]).format(**values)


_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    # Dutch
    ("invoice", "nl"): (
        "Factuur {document_number} van {company_name}",
        "Geachte {contact_name},\n\n"
        "In bijlage vindt u factuur {document_number} van {issue_date}.\n\n"
        "{payment_request}\n\n" + _NL_CLOSING,
    ),
    ("credit_note", "nl"): (
        "Creditnota {document_number} van {company_name}",
        "Geachte {contact_name},\n\n"
        "In bijlage vindt u creditnota {document_number} van {issue_date} voor een bedrag van "
        "{amount_due}.\n\n" + _NL_CLOSING,
    ),
    ("quote", "nl"): (
        "Offerte {document_number} van {company_name}",
        "Geachte {contact_name},\n\n"
        "Hartelijk dank voor uw aanvraag. In bijlage vindt u onze offerte {document_number} "
        "van {issue_date}.\n\n"
        "Voor verdere vragen staan wij graag tot uw beschikking.\n\n" + _NL_CLOSING,
    ),
    ("other", "nl"): (
        "{document_kind} {document_number} van {company_name}",
        "Geachte {contact_name},\n\n"
        "In bijlage vindt u het volgende document: {document_kind} {document_number} van "
        "{issue_date}.\n\n" + _NL_CLOSING,
    ),
    ("reminder", "nl"): (
        "Herinnering: factuur {document_number} van {company_name}",
        "Geachte {contact_name},\n\n"
        "Volgens onze gegevens is factuur {document_number} van {issue_date}, met vervaldag "
        "{due_date}, nog niet betaald. Het openstaande bedrag is {amount_due}.\n\n"
        "Gelieve dit bedrag zo spoedig mogelijk over te schrijven op rekeningnummer {iban} met "
        "de gestructureerde mededeling {structured_communication}. Heeft u intussen betaald, "
        "dan mag u deze herinnering als onbestaande beschouwen.\n\n" + _NL_CLOSING,
    ),
    # French
    ("invoice", "fr"): (
        "Facture {document_number} \u2013 {company_name}",
        "Madame, Monsieur,\n\n"
        "Veuillez trouver ci-joint la facture {document_number} du {issue_date}.\n\n"
        "{payment_request}\n\n" + _FR_CLOSING,
    ),
    ("credit_note", "fr"): (
        "Note de crédit {document_number} \u2013 {company_name}",
        "Madame, Monsieur,\n\n"
        "Veuillez trouver ci-joint la note de crédit {document_number} du {issue_date} d'un "
        "montant de {amount_due}.\n\n" + _FR_CLOSING,
    ),
    ("quote", "fr"): (
        "Devis {document_number} \u2013 {company_name}",
        "Madame, Monsieur,\n\n"
        "Nous vous remercions de votre demande. Veuillez trouver ci-joint notre devis "
        "{document_number} du {issue_date}.\n\n"
        "Nous restons à votre disposition pour toute question.\n\n" + _FR_CLOSING,
    ),
    ("other", "fr"): (
        "{document_kind} {document_number} \u2013 {company_name}",
        "Madame, Monsieur,\n\n"
        "Veuillez trouver ci-joint le document suivant\u00a0: {document_kind} {document_number} "
        "du {issue_date}.\n\n" + _FR_CLOSING,
    ),
    ("reminder", "fr"): (
        "Rappel\u00a0: facture {document_number} \u2013 {company_name}",
        "Madame, Monsieur,\n\n"
        "Sauf erreur de notre part, la facture {document_number} du {issue_date}, échue le "
        "{due_date}, n'a pas encore été réglée. Le montant restant dû est de {amount_due}.\n\n"
        "Nous vous prions de bien vouloir verser ce montant dans les meilleurs délais sur le "
        "compte {iban}, avec la communication structurée {structured_communication}. Si votre "
        "paiement nous est parvenu entre-temps, veuillez ne pas tenir compte de ce rappel.\n\n"
        + _FR_CLOSING,
    ),
    # English
    ("invoice", "en"): (
        "Invoice {document_number} from {company_name}",
        "Dear {contact_name},\n\n"
        "Please find attached invoice {document_number} of {issue_date}.\n\n"
        "{payment_request}\n\n" + _EN_CLOSING,
    ),
    ("credit_note", "en"): (
        "Credit note {document_number} from {company_name}",
        "Dear {contact_name},\n\n"
        "Please find attached credit note {document_number} of {issue_date} for an amount of "
        "{amount_due}.\n\n" + _EN_CLOSING,
    ),
    ("quote", "en"): (
        "Quote {document_number} from {company_name}",
        "Dear {contact_name},\n\n"
        "Thank you for your enquiry. Please find attached our quote {document_number} of "
        "{issue_date}.\n\n"
        "Should you have any questions, we will be pleased to help.\n\n" + _EN_CLOSING,
    ),
    ("other", "en"): (
        "{document_kind} {document_number} from {company_name}",
        "Dear {contact_name},\n\n"
        "Please find attached the following document: {document_kind} {document_number} of "
        "{issue_date}.\n\n" + _EN_CLOSING,
    ),
    ("reminder", "en"): (
        "Reminder: invoice {document_number} from {company_name}",
        "Dear {contact_name},\n\n"
        "According to our records, invoice {document_number} of {issue_date}, due on "
        "{due_date}, has not been paid yet. The amount outstanding is {amount_due}.\n\n"
        "We kindly ask you to pay this amount as soon as possible to account {iban}, quoting "
        "the structured communication {structured_communication}. If you have paid in the "
        "meantime, please disregard this reminder.\n\n" + _EN_CLOSING,
    ),
}


def shipped_key(kind: str, language: str) -> str:
    return f"{kind}.{language}"


SHIPPED: dict[str, ShippedText] = {
    shipped_key(kind, language): ShippedText(
        key=shipped_key(kind, language), name=NAMES[language], subject=subject, body=body
    )
    for (kind, language), (subject, body) in _TEXTS.items()
}


def shipped_text(kind: str, language: str) -> ShippedText | None:
    return SHIPPED.get(shipped_key(kind, language))
