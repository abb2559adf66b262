"""The email's status stored where SQL needs it (porto.mail.status_store), filled for every
existing email by the same decision the event path uses from now on."""

from django.db import migrations, models

from porto.mail import models as current
from porto.mail.status_store import email_status_of, stored_values


def as_current(row, fields, model):
    """An unsaved instance of today's model holding the row's values: the decision reads
    the model's rules (the provider's window), never the database."""
    return model(**{name: getattr(row, name) for name in fields})


EMAIL_FIELDS = ("transport", "sent_through", "handed_off_at", "track_opens")
RECIPIENT_FIELDS = ("kind", *current.Recipient.FACT_FIELDS)


def fill(apps, schema_editor):
    OutgoingEmail = apps.get_model("mail", "OutgoingEmail")
    for row in OutgoingEmail.objects.prefetch_related("recipients").iterator(chunk_size=500):
        email = as_current(row, EMAIL_FIELDS, current.OutgoingEmail)
        recipients = [
            as_current(r, RECIPIENT_FIELDS, current.Recipient) for r in row.recipients.all()
        ]
        values = stored_values(email_status_of(email, recipients))
        OutgoingEmail.objects.filter(pk=row.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0004_email_sent_through"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingemail",
            name="shown_status",
            field=models.CharField(
                choices=[
                    ("in_transit", "In transit"),
                    ("delivered", "Delivered"),
                    ("read", "Read"),
                    ("failed", "Failed"),
                    ("unknown", "Unknown"),
                ],
                default="in_transit",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="outgoingemail",
            name="some_failed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="outgoingemail",
            name="unknown_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="outgoingemail",
            index=models.Index(fields=["shown_status", "unknown_after"], name="email_shown_status"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
