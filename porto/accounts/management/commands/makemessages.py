"""Django's makemessages, also extracting ``N_("...")``.

Stored reasons are marked with ``gettext_noop as N_`` (kept in English, translated when shown);
xgettext does not know that alias, so without this their translations would be dropped from the
catalogue as obsolete. The project-wide override lives here because commands belong to an app.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
