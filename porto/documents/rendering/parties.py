"""What both file formats need to know about a document's parties, and safe text for XML."""

import re

from porto.documents.models import Document, DocumentKind
from porto.documents.services import client_snapshot, seller_snapshot

# XML 1.0 refuses these characters even when escaped; they are invisible in a description, so
# the files leave them out rather than refusing a finalized document forever.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Peppol endpoint schemes (EAS code list) that take a VAT number, per VAT prefix.
VAT_ENDPOINT_SCHEMES = {
    "AT": "9914", "BE": "9925", "BG": "9926", "CY": "9928", "CZ": "9929", "DE": "9930",
    "EE": "9931", "EL": "9933", "GR": "9933", "ES": "9920", "FR": "9957", "HR": "9934",
    "HU": "9910", "IE": "9935", "IT": "0211", "LT": "9937", "LU": "9938", "LV": "9939",
    "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947", "SI": "9949",
    "SK": "9950",
}  # fmt: skip
KBO_SCHEME = "0208"


def xml_text(value: object) -> str:
    """``value`` as text that XML can carry: illegal control characters dropped."""
    return _NOT_XML.sub("", str(value or "")).strip()


def buyer_of(document: Document) -> dict:
    """The client as the document knows it: frozen at finalization, live for a draft."""
    if document.client_snapshot:
        return document.client_snapshot
    if document.client is not None:
        return client_snapshot(document.client)
    return {}


def seller_of(document: Document) -> dict:
    """The company as the document knows it: frozen at finalization, live for a draft (and for
    a document finalized before the seller was frozen)."""
    if not document.is_draft and document.seller_snapshot:
        return document.seller_snapshot
    return seller_snapshot(document.company)


def payment_account(document: Document) -> tuple[str, str]:
    """(IBAN, BIC) to pay this document to: its own, else the seller's."""
    if document.payment_iban:
        return document.payment_iban, document.payment_bic
    seller = seller_of(document)
    return seller.get("iban", ""), seller.get("bic", "")


def delivery_address(document: Document) -> dict | None:
    """Where the goods go (BG-13/BG-15), with a party's keys; None when none was given."""
    if not (document.has_delivery_address or document.deliver_to_name):
        return None
    return {
        "name": document.deliver_to_name,
        "street": document.deliver_to_street,
        "street2": document.deliver_to_street2,
        "postal_code": document.deliver_to_postal_code,
        "city": document.deliver_to_city,
        "country": document.deliver_to_country,
    }


def is_paid_in_full(document: Document) -> bool:
    """An invoice with nothing left to pay, paid in advance (``Totals.fully_prepaid``), read
    from the stored totals: a batch of emails asks no query per document."""
    return (
        document.kind == DocumentKind.INVOICE
        and document.amount_due == 0
        and document.prepaid_amount != 0
    )


def buyer_endpoint(buyer: dict) -> tuple[str, str] | None:
    """(scheme, identifier) of the client on Peppol, or None if nothing identifies it."""
    if buyer.get("peppol_scheme") and buyer.get("peppol_id"):
        return buyer["peppol_scheme"], buyer["peppol_id"]
    if buyer.get("kbo_number") and buyer.get("country", "BE") == "BE":
        return KBO_SCHEME, buyer["kbo_number"]
    vat = buyer.get("vat_number", "")
    scheme = VAT_ENDPOINT_SCHEMES.get(vat[:2])
    if vat and scheme:
        return scheme, vat[2:] if scheme == "0211" else vat
    return None


def is_business(buyer: dict) -> bool:
    return buyer.get("kind", "business") == "business"
