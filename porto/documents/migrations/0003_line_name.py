from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_rendered_file")]

    operations = [
        migrations.RenameField("documentline", "description", "name"),
    ]
