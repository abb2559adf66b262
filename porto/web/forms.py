"""The send pop-up's form: it only parses the POST into a ``SendRequest``. The checks live in
``porto.mail.send.problems``; the form files their problems under its fields."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from porto.documents.models import Document
from porto.lib.headers import split_entries
from porto.mail.requests import NewAttachment, SendRequest
from porto.mail.send.uploads import new_attachments


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        """Every uploaded file as it came: the send checks judge each one (an empty file or
        a nameless one gets its own message there, beside the others')."""
        return list(data) if isinstance(data, list | tuple) else [data] if data else []


def address_list(values: list[str]) -> list[str]:
    """Addresses from chips and comma/semicolon separated text (commas inside a quoted
    display name stay in it)."""
    return [entry for value in values for entry in split_entries(value)]


class SendForm(forms.Form):
    to = forms.CharField(label=gettext_lazy("To"), required=False)
    cc = forms.CharField(label=gettext_lazy("Cc"), required=False)
    bcc = forms.CharField(label=gettext_lazy("Bcc"), required=False)
    save_to_client = forms.BooleanField(label=gettext_lazy("Save to client"), required=False)
    email_text = forms.IntegerField(label=gettext_lazy("Email text"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False)
    body = forms.CharField(label=gettext_lazy("Message"), required=False)
    file_format = forms.CharField(label=gettext_lazy("Format"), required=False)
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def _addresses(self, name: str) -> list[str]:
        values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
        return address_list(values)

    def clean_to(self) -> list[str]:
        return self._addresses("to")

    def clean_cc(self) -> list[str]:
        return self._addresses("cc")

    def clean_bcc(self) -> list[str]:
        return self._addresses("bcc")

    def clean_attachments(self) -> list[NewAttachment]:
        return new_attachments(self.cleaned_data["attachments"])

    def send_request(self, user) -> SendRequest:
        data = self.cleaned_data
        return SendRequest(
            document=self.document,
            to=data["to"],
            cc=data["cc"],
            bcc=data["bcc"],
            subject=data["subject"],
            body_text=data["body"],
            email_text_id=data["email_text"],
            file_format=data["file_format"] or None,
            attachments=data["attachments"],
            save_new_addresses=data["save_to_client"],
            created_by=user,
        )

    def add_problems(self, error: ValidationError) -> None:
        """The send service's problems, each under its field (or above the form)."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
