"""The shipped invoice texts no longer open with the amount ("for an amount of €0.00" on a fully
prepaid invoice): the amount moved into {payment_request}. A company's copy that is still the
shipped text word for word gets the new wording; a text the company changed is left alone."""

from django.db import migrations

CLOSINGS = {
    "nl": "Met vriendelijke groeten,\n{company_name}",
    "fr": "Veuillez agréer, Madame, Monsieur, nos salutations distinguées.\n\n{company_name}",
    "en": "Kind regards,\n{company_name}",
}
OPENINGS = {
    "nl": (
        "Geachte {contact_name},\n\nIn bijlage vindt u factuur {document_number} van {issue_date}",
        " voor een bedrag van {amount_due}",
    ),
    "fr": (
        "Madame, Monsieur,\n\nVeuillez trouver ci-joint la facture {document_number} du "
        "{issue_date}",
        " d'un montant de {amount_due}",
    ),
    "en": (
        "Dear {contact_name},\n\nPlease find attached invoice {document_number} of {issue_date}",
        " for an amount of {amount_due}",
    ),
}


def invoice_body(language: str, *, with_amount: bool) -> str:
    start, amount = OPENINGS[language]
    return (
        start
        + (amount if with_amount else "")
        + ".\n\n{payment_request}\n\n"
        + CLOSINGS[language]
    )


def reword_unchanged_invoice_texts(apps, schema_editor):
    EmailText = apps.get_model("emailtexts", "EmailText")
    for language in OPENINGS:
        EmailText.objects.filter(
            shipped_key=f"invoice.{language}", body=invoice_body(language, with_amount=True)
        ).update(body=invoice_body(language, with_amount=False))


class Migration(migrations.Migration):
    dependencies = [
        ("emailtexts", "0002_alter_emailtext_one_default_text_per_kind_and_language"),
    ]

    operations = [
        migrations.RunPython(reword_unchanged_invoice_texts, migrations.RunPython.noop),
    ]
