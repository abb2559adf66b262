"""The English detector of test_no_english: it must flag the project's English and English
words, and leave Dutch, French, names and a mail server's quoted reply alone."""

import pytest

from tests.web.browser.english import EnglishDetector, project_catalog


@pytest.fixture(scope="module")
def catalog():
    return project_catalog()


def test_the_catalog_holds_the_msgids_of_code_and_templates(catalog):
    assert {"In transit", "Update status", "Skip to content"} <= catalog.msgids


@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize(
    "text",
    [
        "In transit",
        "Update status",
        "Page 2 of 7",
        "Porto is asking Sandbox about this email; the status changes as soon as the answer is in.",
        "Done: 4 sent, 1 failed, 0 skipped.",
    ],
)
def test_english_is_flagged(catalog, language, text):
    assert EnglishDetector(catalog, language, data=[]).english_in(text)


def test_due_is_english_on_a_dutch_page_and_french_on_a_french_one(catalog):
    assert EnglishDetector(catalog, "nl", data=[]).english_in("Amount due: 12")
    assert EnglishDetector(catalog, "fr", data=[]).english_in("TVA due") == ""


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "In verzending"),
        ("nl", "Status bijwerken"),
        ("nl", "Afgeleverd: boekhouding@dekroon.example"),
        (
            "nl",
            "De server van de ontvanger meldt dat de mailbox niet bestaat (550 5.1.1 User unknown)",
        ),
        ("fr", "En cours d'envoi"),
        ("fr", "Date"),
        ("fr", "Factures envoyées par Porto via Peppol en PDF et UBL"),
        ("fr", "Autoliquidation (TVA due par le client)"),
        ("nl", "Brasserie The Old Mill BV"),
        ("nl", "Klaar: %(sent)s verzonden, %(failed)s mislukt, %(skipped)s overgeslagen."),
    ],
)
def test_dutch_french_names_and_server_words_pass(catalog, language, text):
    detector = EnglishDetector(catalog, language, data=["Brasserie The Old Mill BV"])
    assert detector.english_in(text) == ""
