"""Rule ids of the e-invoicing rules -> a message a person can act on.

The official texts speak of business terms (BT-48, BG-23); a user needs to know what to fix in
Porto. Where we can name the cause we say it here; every other rule keeps its official text.
The rule id is always kept next to the message (support needs it).
"""

from django.utils.translation import gettext_lazy as _

_SELLER_VAT = _(
    "Your company has no VAT number: add it on the Company page; it is required "
    "for documents that charge VAT or name a VAT exemption."
)
_EXEMPTION_REASON = _(
    "Say why no VAT is charged: each line with VAT category exempt, reverse charge, "
    "intra-community supply, export or not subject to VAT needs an exemption reason."
)

MESSAGES = {
    "PEPPOL-EN16931-R003": _(
        "Give the document a buyer reference (the client's order or reference number)."
    ),
    "PEPPOL-EN16931-R010": _(
        "The client has no Peppol address: add the client's KBO/BCE number (Belgium), VAT "
        "number or Peppol identifier to the client."
    ),
    "PEPPOL-EN16931-R020": _(
        "Your company has no Peppol address: add its KBO/BCE number on the Company page."
    ),
    "PEPPOL-COMMON-R043": _(
        "A KBO/BCE number in this file has a wrong check number (last two digits): correct the "
        "number of your company or of the client."
    ),
    "PEPPOL-EN16931-R008": _(
        "The file has an empty field. This is a fault in Porto, not in your data: please tell "
        "support, with the rule id."
    ),
    "BR-06": _("Your company has no name: add it on the Company page."),
    "BR-07": _("The client has no name: add it to the client."),
    "BR-08": _("Your company has no address: add it on the Company page."),
    "BR-09": _("Your company has no country: add it on the Company page."),
    "BR-10": _("The client has no address: add street, postal code, city and country."),
    "BR-11": _("The client has no country: add it to the client."),
    "BR-16": _("The document has no lines: add at least one line."),
    "BR-61": _("Payment by transfer needs your IBAN: add it on the Company page."),
    "BR-CO-09": _(
        "A VAT number must start with its country code, like BE0123456749: correct the VAT "
        "number of your company or of the client."
    ),
    "BR-CO-26": _(
        "Your company has neither a VAT number nor a KBO/BCE number: add one on the Company page."
    ),
    "BR-S-02": _SELLER_VAT,
    "BR-Z-02": _SELLER_VAT,
    "BR-E-02": _SELLER_VAT,
    "BR-G-02": _SELLER_VAT,
    "BR-AE-02": _(
        "Reverse charge needs your company's VAT number and the client's VAT or KBO/BCE number: "
        "add the missing one."
    ),
    "BR-IC-02": _(
        "An intra-community supply needs your company's VAT number and the client's VAT "
        "number: add the missing one."
    ),
    "BR-IC-11": _("An intra-community supply needs a delivery date."),
    "BR-IC-12": _("An intra-community supply needs the country the goods are delivered to."),
    "BR-E-10": _EXEMPTION_REASON,
    "BR-AE-10": _EXEMPTION_REASON,
    "BR-IC-10": _EXEMPTION_REASON,
    "BR-G-10": _EXEMPTION_REASON,
    "BR-O-10": _EXEMPTION_REASON,
    "BR-O-02": _(
        "A document with lines not subject to VAT cannot show VAT numbers; put lines that are "
        "not subject to VAT on their own document."
    ),
    "BR-05": _("The document has no currency: Porto issues documents in EUR."),
    "BR-CL-04": _("The currency is not a valid ISO 4217 code: Porto issues documents in EUR."),
    "BR-CL-23": _(
        "A line has a unit that is not a UN/ECE code (C62 piece, HUR hour, DAY day, KGM kg): "
        "correct the unit."
    ),
    "BR-27": _("A line has a negative price: use a negative quantity for a discount line."),
}


def human_message(rule_id: str, official_text: str) -> str:
    message = MESSAGES.get(rule_id)
    if message is None:
        return official_text.removeprefix(f"[{rule_id}]-").strip()
    return str(message)
