"""Reasons become stored reasons (porto.mail.reasons): JSON, a code with parameters.

The text already stored is kept, as a JSON string (shown as stored): each column's text is
quoted as JSON first, so the change of type reads valid JSON on SQLite and PostgreSQL alike.
"""

from django.db import migrations, models

COLUMNS = (
    ("mail_deliveryevent", "reason"),
    ("mail_outgoingemail", "last_error"),
    ("mail_outgoingemail", "refresh_error"),
    ("mail_recipient", "failure_reason"),
    ("mail_recipient", "last_deferral_reason"),
)

QUOTE = {
    "postgresql": 'UPDATE {table} SET "{column}" = to_jsonb("{column}")::text',
    "sqlite": 'UPDATE {table} SET "{column}" = json_quote("{column}")',
}
UNQUOTE = {
    "postgresql": (
        'UPDATE {table} SET "{column}" = "{column}"::jsonb #>> \'{{}}\' '
        "WHERE jsonb_typeof(\"{column}\"::jsonb) = 'string'"
    ),
    "sqlite": (
        'UPDATE {table} SET "{column}" = json_extract("{column}", \'$\') '
        "WHERE json_type(\"{column}\") = 'text'"
    ),
}


def _run(statements: dict[str, str]):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        with schema_editor.connection.cursor() as cursor:
            for table, column in COLUMNS:
                cursor.execute(statements[vendor].format(table=table, column=column))
            if vendor == "postgresql":
                # PostgreSQL refuses to ALTER a table with deferred foreign-key checks still
                # pending from these UPDATEs in the same transaction: run the checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0005_stored_status"),
    ]

    operations = [
        migrations.RunPython(_run(QUOTE), _run(UNQUOTE)),
        migrations.AlterField(
            model_name="deliveryevent",
            name="reason",
            field=models.JSONField(blank=True, default=str),
        ),
        migrations.AlterField(
            model_name="outgoingemail",
            name="refresh_error",
            field=models.JSONField(blank=True, default=str),
        ),
        migrations.AlterField(
            model_name="outgoingemail",
            name="last_error",
            field=models.JSONField(blank=True, default=str),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="failure_reason",
            field=models.JSONField(blank=True, default=str),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="last_deferral_reason",
            field=models.JSONField(blank=True, default=str),
        ),
    ]
