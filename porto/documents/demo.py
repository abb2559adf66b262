"""The demo company: realistic Belgian clients and documents, the same on every machine."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from porto.accounts.models import Company, Membership
from porto.clients.models import Client, ClientEmail
from porto.documents.codes import VATEX_FOR_CATEGORY
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
)
from porto.documents.services import document_finalize, document_recompute_totals
from porto.lib.identifiers import belgian_iban, kbo_from_base

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "porto-demo"
DEMO_COMPANY_KBO = kbo_from_base(7654321)


@dataclass(frozen=True)
class DemoClient:
    name: str
    language: str
    city: str
    postal_code: str
    street: str
    emails: tuple[str, ...]
    country: str = "BE"
    kind: str = Client.Kind.BUSINESS
    contact: str = ""
    foreign_vat: str = ""


CLIENTS = [
    DemoClient("Bakkerij De Gouden Korrel BV", "nl", "Gent", "9000", "Veldstraat 12",
               ("boekhouding@goudenkorrel.example", "jan@goudenkorrel.example"), contact="Jan Peeters"),
    DemoClient("Brasserie Le Coq SRL", "fr", "Liège", "4000", "Rue Féronstrée 88",
               ("compta@lecoq.example",), contact="Marie Dubois"),
    DemoClient("Vandenberghe Bouw NV", "nl", "Brugge", "8000", "Steenstraat 3",
               ("facturen@vdbbouw.example", "werf@vdbbouw.example", "an@vdbbouw.example"),
               contact="An Vandenberghe"),
    DemoClient("Dupont & Fils SA", "fr", "Namur", "5000", "Rue de Fer 21",
               ("factures@dupontfils.example",), contact="Luc Dupont"),
    DemoClient("Antwerp Diamond Logistics BV", "en", "Antwerpen", "2018", "Hoveniersstraat 30",
               ("accounts@adl.example", "ops@adl.example")),
    DemoClient("Studio Mosaïque SRL", "fr", "Bruxelles", "1000", "Rue Haute 140",
               ("hello@mosaique.example",), contact="Camille Lambert"),
    DemoClient("Drukkerij Van Damme", "nl", "Leuven", "3000", "Bondgenotenlaan 55",
               ("info@vandamme-druk.example",)),
    DemoClient("Café Den Hoek", "nl", "Mechelen", "2800", "Grote Markt 7",
               ("denhoek@horeca.example",), contact="Els Janssens"),
    DemoClient("Boulangerie Lemaire", "fr", "Charleroi", "6000", "Boulevard Tirou 45",
               ("lemaire@boulangerie.example", "comptable@lemaire.example")),
    DemoClient("Flanders Software Partners NV", "en", "Kortrijk", "8500", "Doorniksestraat 2",
               ("finance@fsp.example",), contact="Pieter De Smet"),
    DemoClient("Garage Willems", "nl", "Hasselt", "3500", "Kempischesteenweg 301",
               ("garage.willems@autos.example",)),
    DemoClient("Cabinet Médical Renard", "fr", "Mons", "7000", "Rue de Nimy 9",
               ("secretariat@renard-med.example",)),
    DemoClient("Maison Verte SPRL", "fr", "Wavre", "1300", "Place Bosch 4",
               ("admin@maisonverte.example",)),
    DemoClient("Orbit Events BV", "en", "Gent", "9050", "Kortrijksesteenweg 1000",
               ("billing@orbit-events.example", "lena@orbit-events.example"), contact="Lena Maes"),
    DemoClient("Schrijnwerkerij Claes", "nl", "Turnhout", "2300", "Gasthuisstraat 18",
               ("claes@schrijnwerk.example",)),
    DemoClient("Atelier Lumière", "fr", "Tournai", "7500", "Grand-Place 30",
               ("contact@atelier-lumiere.example",)),
    DemoClient("Noordzee Vishandel", "nl", "Oostende", "8400", "Visserskaai 22",
               ("bestellingen@noordzeevis.example",)),
    DemoClient("Ghost Imports BV", "nl", "Aalst", "9300", "Nieuwstraat 1",
               ("facturatie@ghost-imports.invalid",)),
    DemoClient("Pauwels Advocaten", "nl", "Antwerpen", "2000", "Meir 50",
               ("secretariaat@pauwels-law.example",), contact="Mr. Sofie Pauwels"),
    DemoClient("Tech Harbour Ltd", "en", "Antwerpen", "2030", "Kattendijkdok 5",
               ("ap@techharbour.example", "cfo@techharbour.example")),
    DemoClient("Groothandel Smit BV", "nl", "Rotterdam", "3011 AB", "Coolsingel 40",
               ("crediteuren@smit.example",), country="NL", foreign_vat="NL859271603B01"),
    DemoClient("Vins de Loire SARL", "fr", "Tours", "37000", "Rue Nationale 12",
               ("compta@vinsdeloire.example",), country="FR", foreign_vat="FR40303265045"),
    DemoClient("Müller Maschinenbau GmbH", "en", "Köln", "50667", "Hohe Straße 10",
               ("buchhaltung@mueller-mb.example",), country="DE", foreign_vat="DE136695976"),
    DemoClient("Sarah Janssens", "nl", "Lier", "2500", "Kartuizersvest 8",
               ("sarah.janssens@mail.example",), kind=Client.Kind.PERSON),
    DemoClient("Thomas Leroy", "fr", "Arlon", "6700", "Rue des Faubourgs 3",
               ("t.leroy@courriel.example",), kind=Client.Kind.PERSON),
    DemoClient("Emily Carter", "en", "Waterloo", "1410", "Chaussée de Bruxelles 200",
               ("emily.carter@inbox.example",), kind=Client.Kind.PERSON),
]  # fmt: skip

# descriptions (nl, fr, en), unit code, unit price, VAT category, rate
CATALOGUE = [
    (("Consultancy", "Consultance", "Consultancy"), "HUR", "95.00", "S", "21"),
    (("Webdesign — homepagina", "Conception web — page d'accueil", "Web design — homepage"), "C62", "1250.00", "S", "21"),
    (("Hosting, één maand", "Hébergement, un mois", "Hosting, one month"), "MON", "24.99", "S", "21"),
    (("Opleidingsdag", "Journée de formation", "Training day"), "DAY", "650.00", "S", "21"),
    (("Gedrukte brochures (doos van 250)", "Brochures imprimées (boîte de 250)", "Printed brochures (box of 250)"), "C62", "89.90", "S", "21"),
    (("Naslagwerken", "Ouvrages de référence", "Reference books"), "C62", "34.50", "S", "6"),
    (("Renovatiewerken, woning ouder dan 10 jaar", "Travaux de rénovation, habitation de plus de 10 ans", "Renovation works, private home over 10 years"), "HUR", "55.00", "S", "6"),
    (("Catering, lunch", "Traiteur, lunch", "Catering, lunch"), "C62", "18.75", "S", "12"),
    (("Verplaatsingskosten", "Frais de déplacement", "Travel costs"), "KMT", "0.4269", "S", "21"),
    (("Onderhoudscontract", "Contrat d'entretien", "Maintenance contract"), "ANN", "480.00", "S", "21"),
    (("Fotoshoot", "Séance photo", "Photography session"), "HUR", "120.00", "S", "21"),
    (("Koffiebonen 1 kg", "Grains de café 1 kg", "Coffee beans 1 kg"), "KGM", "21.35", "S", "6"),
]  # fmt: skip
LANGUAGE_INDEX = {"nl": 0, "fr": 1, "en": 2}

INTRA_EU_REASON = {
    "nl": "Intracommunautaire levering, artikel 39bis van het Btw-wetboek",
    "fr": "Livraison intracommunautaire, article 39bis du Code de la TVA",
    "en": "Intra-community supply, article 39bis of the Belgian VAT Code",
}
REVERSE_CHARGE_REASON = {
    "nl": "Btw verlegd: verschuldigd door de medecontractant, artikel 20 van KB nr. 1",
    "fr": "Autoliquidation : TVA due par le cocontractant, article 20 de l'AR n° 1",
    "en": "Reverse charge: VAT due by the contractor, article 20 of Royal Decree no. 1",
}
# Peppol endpoint schemes that use the VAT number (Peppol code list EAS).
VAT_PEPPOL_SCHEMES = {"NL": "9944", "FR": "9957", "DE": "9930"}
PAYMENT_TERMS = {
    "nl": "Te betalen binnen 30 dagen na factuurdatum.",
    "fr": "Payable dans les 30 jours suivant la date de facture.",
    "en": "Payable within 30 days of the invoice date.",
}
LOYALTY_DISCOUNT = {
    "nl": "Getrouwheidskorting",
    "fr": "Remise de fidélité",
    "en": "Loyalty discount",
}
OTHER_TITLES = ["Order confirmation", "Delivery note", "Work order"]


def seed_demo(stdout=None) -> Company:
    """Create the demo company, its login, clients and documents. Running it again changes
    nothing: an existing demo company is left as it is."""
    existing = Company.objects.filter(kbo_number=DEMO_COMPANY_KBO).first()
    user = _demo_user()
    if existing is not None:
        Membership.objects.get_or_create(user=user, company=existing, defaults={"role": "owner"})
        return existing
    rng = random.Random(20261128)
    with transaction.atomic():
        company = _demo_company()
        Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
        clients = [_demo_client(company, spec, rng) for spec in CLIENTS]
        _demo_documents(company, clients, rng)
    return company


def _demo_user():
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@porto.example", "first_name": "Demo"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _demo_company() -> Company:
    company = Company(
        name="Studio Noord BV",
        slug="studio-noord",
        street="Kammenstraat 42",
        postal_code="2000",
        city="Antwerpen",
        country="BE",
        kbo_number=DEMO_COMPANY_KBO,
        vat_number="BE" + DEMO_COMPANY_KBO,
        iban=belgian_iban(7350012345),
        bic="KREDBEBB",
        email="hallo@studionoord.example",
        phone="+32 3 123 45 67",
        default_language="nl",
    )
    company.full_clean()
    company.save()
    return company


def _demo_client(company: Company, spec: DemoClient, rng: random.Random) -> Client:
    client = Client(
        company=company,
        kind=spec.kind,
        name=spec.name,
        contact_name=spec.contact,
        street=spec.street,
        postal_code=spec.postal_code,
        city=spec.city,
        country=spec.country,
        language=spec.language,
    )
    if spec.kind == Client.Kind.BUSINESS and spec.country == "BE":
        kbo = kbo_from_base(rng.randrange(2_000_000, 9_999_999))
        client.kbo_number = kbo
        client.vat_number = "BE" + kbo
        client.peppol_scheme, client.peppol_id = "0208", kbo
    elif spec.foreign_vat:
        client.vat_number = spec.foreign_vat
        client.peppol_scheme, client.peppol_id = VAT_PEPPOL_SCHEMES[spec.country], spec.foreign_vat
    client.full_clean()
    client.save()
    for index, address in enumerate(spec.emails):
        label = ["", "Accounting", "Operations"][index] if len(spec.emails) > 1 else ""
        ClientEmail.objects.create(
            client=client, address=address, label=label, is_default=index == 0
        )
    return client


def _demo_documents(company: Company, clients: list[Client], rng: random.Random) -> None:
    start = datetime.date(2026, 1, 5)
    plan = (
        [DocumentKind.INVOICE] * 78
        + [DocumentKind.QUOTE] * 20
        + [DocumentKind.OTHER] * 10
        + [DocumentKind.CREDIT_NOTE] * 8
    )
    rng.shuffle(plan)
    dated = sorted((start + datetime.timedelta(days=rng.randrange(0, 320)), kind) for kind in plan)
    finalized_invoices: list[Document] = []
    for issue_date, kind in dated:
        if kind == DocumentKind.CREDIT_NOTE and not finalized_invoices:
            kind = DocumentKind.INVOICE
        document = _demo_document(company, clients, kind, issue_date, finalized_invoices, rng)
        document_finalize(document, today=issue_date)
        if kind == DocumentKind.INVOICE:
            finalized_invoices.append(document)
    for _ in range(8):
        kind = rng.choice([DocumentKind.INVOICE, DocumentKind.QUOTE])
        _demo_document(company, clients, kind, None, finalized_invoices, rng)


def _demo_document(company, clients, kind, issue_date, invoices, rng) -> Document:
    corrected = rng.choice(invoices) if kind == DocumentKind.CREDIT_NOTE else None
    client = corrected.client if corrected else rng.choice(clients)
    document = Document.objects.create(
        company=company,
        kind=kind,
        title=rng.choice(OTHER_TITLES) if kind == DocumentKind.OTHER else "",
        client=client,
        issue_date=issue_date,
        buyer_reference=f"PO-{rng.randrange(1000, 9999)}" if rng.random() < 0.6 else "",
        corrects=corrected,
        payment_iban=company.iban,
        payment_bic=company.bic,
        **_delivery(client, issue_date),
    )
    line_count = 1 if corrected else rng.choice([1, 2, 2, 3, 4, 6])
    for position in range(line_count):
        _demo_line(document, client, position, rng)
    if kind == DocumentKind.INVOICE:
        _payment_terms(document, client)
    if kind == DocumentKind.INVOICE and client.kind == Client.Kind.BUSINESS and line_count >= 4:
        _loyalty_discount(document, client)
    return document_recompute_totals(document)


def _payment_terms(document: Document, client: Client) -> None:
    document.payment_terms = PAYMENT_TERMS[client.language]
    if document.issue_date:
        document.due_date = document.issue_date + datetime.timedelta(days=30)
    document.save(update_fields=["payment_terms", "due_date"])


def _loyalty_discount(document: Document, client: Client) -> None:
    """Regular clients get 5 % off what is charged at 21 %, as one document allowance."""
    if not document.lines.filter(vat_category="S", vat_rate=21).exists():
        return
    DocumentAllowanceCharge.objects.create(
        document=document,
        is_charge=False,
        percentage=Decimal("5"),
        vat_category="S",
        vat_rate=Decimal("21"),
        reason_code="95",
        reason=LOYALTY_DISCOUNT[client.language],
    )


def _delivery(client: Client, issue_date: datetime.date | None) -> dict:
    """Goods to another EU country: delivered the day before the invoice, at the client."""
    if client.country == "BE" or client.kind != Client.Kind.BUSINESS:
        return {}
    return {
        "delivery_date": issue_date - datetime.timedelta(days=1) if issue_date else None,
        "deliver_to_name": client.name,
        "deliver_to_street": client.street,
        "deliver_to_postal_code": client.postal_code,
        "deliver_to_city": client.city,
        "deliver_to_country": client.country,
    }


def _demo_line(document: Document, client: Client, position: int, rng: random.Random) -> None:
    descriptions, unit, price, category, rate = rng.choice(CATALOGUE)
    description = descriptions[LANGUAGE_INDEX[client.language]]
    reason = ""
    if client.country != "BE" and client.kind == Client.Kind.BUSINESS:
        category, rate, reason = "K", "0", INTRA_EU_REASON[client.language]
    elif descriptions[2].startswith("Renovation") and client.kind == Client.Kind.BUSINESS:
        category, rate, reason = "AE", "0", REVERSE_CHARGE_REASON[client.language]
    quantity = Decimal(rng.choice(["1", "2", "3", "5", "7.5", "10", "12", "40", "125"]))
    DocumentLine.objects.create(
        document=document,
        position=position,
        name=description,
        quantity=quantity,
        unit_code=unit,
        unit_price=Decimal(price),
        vat_category=category,
        vat_rate=Decimal(rate),
    )
    if reason:
        document.vat_exemptions.setdefault(
            category, {"code": VATEX_FOR_CATEGORY.get(category, ""), "text": reason}
        )
        document.save(update_fields=["vat_exemptions"])
