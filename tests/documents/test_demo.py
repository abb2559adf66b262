"""The demo data: realistic, valid, the same on every run, and usable through the login form."""

import re
from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import TestCase

from porto.accounts.models import Company
from porto.clients.models import Client, ClientEmail
from porto.documents.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
from porto.documents.models import Document, DocumentKind, DocumentLine
from porto.lib import identifiers


class DemoDataTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.company = seed_demo()

    def test_running_it_again_duplicates_nothing(self):
        counts = (Company.objects.count(), Client.objects.count(), Document.objects.count())
        out = StringIO()
        call_command("seed_demo", stdout=out)
        self.assertEqual(seed_demo(), self.company)
        self.assertEqual(
            (Company.objects.count(), Client.objects.count(), Document.objects.count()), counts
        )
        self.assertIn(f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}", out.getvalue())
        self.assertEqual(self.company.memberships.get().user.username, DEMO_USERNAME)

    def test_about_25_clients_in_three_languages(self):
        clients = list(self.company.clients.prefetch_related("emails"))
        self.assertTrue(22 <= len(clients) <= 30, len(clients))
        languages = Counter(c.language for c in clients)
        self.assertEqual(set(languages), {"nl", "fr", "en"})
        self.assertTrue(min(languages.values()) >= 5, languages)
        address_counts = Counter(c.emails.count() for c in clients)
        self.assertTrue(address_counts[2] + address_counts[3] >= 5, address_counts)
        self.assertTrue(address_counts[3] >= 1, address_counts)
        self.assertEqual(set(address_counts), {1, 2, 3})
        for client in clients:
            self.assertEqual(sum(e.is_default for e in client.emails.all()), 1, client)

    def test_one_client_is_at_an_invalid_domain(self):
        invalid = ClientEmail.objects.filter(
            client__company=self.company, address__endswith=".invalid"
        )
        self.assertEqual(invalid.count(), 1)
        self.assertTrue(invalid.get().is_default)

    def test_every_identifier_and_address_is_valid(self):
        company = self.company
        self.assertEqual(identifiers.clean_kbo(company.kbo_number), company.kbo_number)
        self.assertEqual(identifiers.clean_vat(company.vat_number), company.vat_number)
        self.assertEqual(identifiers.clean_iban(company.iban), company.iban)
        company.full_clean()
        for client in company.clients.all():
            client.full_clean()  # checks VAT, KBO and the Peppol pair
            if client.country == "BE" and client.kind == Client.Kind.BUSINESS:
                self.assertEqual(client.vat_number, "BE" + client.kbo_number)
                self.assertEqual(
                    (client.peppol_scheme, client.peppol_id), ("0208", client.kbo_number)
                )
        for email in ClientEmail.objects.filter(client__company=company):
            email.full_clean()
            self.assertEqual(identifiers.clean_email_address(email.address), email.address)

    def test_about_120_documents_of_every_kind_mostly_finalized(self):
        documents = self.company.documents.all()
        self.assertTrue(100 <= documents.count() <= 140, documents.count())
        kinds = Counter(documents.values_list("kind", flat=True))
        self.assertEqual(set(kinds), set(DocumentKind.values))
        finalized = documents.filter(status=Document.Status.FINALIZED).count()
        self.assertGreater(finalized, 0.8 * documents.count())
        self.assertTrue(documents.filter(status=Document.Status.DRAFT).exists())
        titles = set(documents.filter(kind=DocumentKind.OTHER).values_list("title", flat=True))
        self.assertNotIn("", titles)

    def test_numbers_are_gap_free_per_kind_and_year(self):
        finalized = self.company.documents.exclude(number="")
        series = {}
        for kind, number, sequence, issue_date in finalized.values_list(
            "kind", "number", "sequence", "issue_date"
        ):
            series.setdefault((kind, issue_date.year), []).append(sequence)
            self.assertRegex(number, rf"^(|CN-|Q-|D-){issue_date.year}-{sequence:05d}$")
        for sequences in series.values():
            self.assertEqual(sorted(sequences), list(range(1, len(sequences) + 1)))

    def test_invoices_have_valid_structured_communications(self):
        invoices = self.company.documents.filter(kind=DocumentKind.INVOICE).exclude(number="")
        self.assertGreater(invoices.count(), 50)
        ogms = list(invoices.values_list("structured_communication", flat=True))
        self.assertEqual(len(set(ogms)), len(ogms))
        for ogm in ogms:
            self.assertEqual(identifiers.clean_structured_communication(ogm), ogm)

    def test_stored_totals_match_the_lines(self):
        for document in self.company.documents.prefetch_related("lines"):
            totals = document.compute_totals()
            self.assertEqual(document.total_incl_vat, totals.tax_inclusive, document.number)
            self.assertEqual(document.amount_due, totals.payable, document.number)

    def test_credit_notes_correct_a_finalized_invoice_of_the_same_client(self):
        credit_notes = self.company.documents.filter(kind=DocumentKind.CREDIT_NOTE)
        self.assertTrue(credit_notes.exists())
        for note in credit_notes.select_related("corrects"):
            self.assertEqual(note.corrects.kind, DocumentKind.INVOICE)
            self.assertFalse(note.corrects.is_draft)
            self.assertEqual(note.corrects.client_id, note.client_id)

    def test_foreign_and_reverse_charge_lines_carry_a_reason(self):
        exempt = DocumentLine.objects.filter(document__company=self.company).exclude(
            vat_category="S"
        )
        self.assertEqual(set(exempt.values_list("vat_category", flat=True)), {"K", "AE"})
        for document in Document.objects.filter(lines__in=exempt).distinct():
            used = set(document.lines.values_list("vat_category", flat=True)) - {"S"}
            for category in used:
                self.assertTrue(document.exemption(category)["text"], (document, category))
        rates = set(
            DocumentLine.objects.filter(
                document__company=self.company, vat_category="S"
            ).values_list("vat_rate", flat=True)
        )
        self.assertEqual({int(rate) for rate in rates}, {6, 12, 21})

    def test_the_demo_login_works_through_the_real_login_form(self):
        browser = HttpClient(enforce_csrf_checks=True)
        page = browser.get("/login/")
        self.assertEqual(page.status_code, 200)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
        self.assertIsNotNone(token)
        response = browser.post(
            "/login/",
            {
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode(),
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/documents/")
        documents = browser.get("/documents/")
        self.assertEqual(documents.status_code, 200)
        newest = self.company.documents.exclude(number="").order_by("-issue_date", "-pk")[0]
        self.assertContains(documents, newest.number)
        self.assertContains(documents, "Studio Noord BV")

    def test_a_wrong_password_is_refused_with_a_clear_message(self):
        browser = HttpClient()
        response = browser.post("/login/", {"username": DEMO_USERNAME, "password": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "That username and password do not match. Try again.")
        self.assertEqual(browser.get("/documents/").status_code, 302)
