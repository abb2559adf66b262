"""Each document's latest email and its stored status, on the document where the overview
filters, sorts and counts (porto.mail.status_store), with their indexes, and the overview's
default order as an index; filled for every existing document by the same copy the status
code makes from now on."""

from django.db import migrations, models

from porto.mail.status_store import latest_email_values


def fill(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    OutgoingEmail = apps.get_model("mail", "OutgoingEmail")
    emailed = Document.objects.filter(pk__in=OutgoingEmail.objects.values("document_id"))
    emailed.update(**latest_email_values(OutgoingEmail))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_identifier_input_room"),
        ("clients", "0004_client_updated_at"),
        ("documents", "0006_document_company_updated"),
        ("mail", "0006_reason_codes"),  # the emails' stored status, copied here
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="email_some_failed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="document",
            name="email_status",
            field=models.CharField(blank=True, default="", editable=False, max_length=10),
        ),
        migrations.AddField(
            model_name="document",
            name="email_unknown_after",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="last_email_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="last_email_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["company", "email_status", "email_unknown_after"],
                name="document_email_status",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["company", "last_email_at"], name="document_last_email"),
        ),
        migrations.RemoveIndex(
            model_name="document",
            name="documents_d_company_b52c60_idx",
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["company", "-issue_date", "-id"], name="document_company_issued"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
