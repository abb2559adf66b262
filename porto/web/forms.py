"""The send pop-up's form: each field checked with the outbox's own rules, so the problem shows
next to the field it concerns; the send service checks everything again as a whole."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.documents.models import UBL_KINDS, Document
from porto.documents.rendering.files import document_files
from porto.emailtexts.models import EmailText
from porto.lib.headers import split_entries
from porto.mail import checks
from porto.mail.models import FileFormat
from porto.mail.requests import NewAttachment, SendRequest


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def address_list(values: list[str]) -> list[str]:
    """Addresses from chips and comma/semicolon separated text (commas inside a quoted
    display name stay in it)."""
    return [entry for value in values for entry in split_entries(value)]


class SendForm(forms.Form):
    to = forms.CharField(label=gettext_lazy("To"), required=False)
    cc = forms.CharField(label=gettext_lazy("Cc"), required=False)
    bcc = forms.CharField(label=gettext_lazy("Bcc"), required=False)
    save_to_client = forms.BooleanField(label=gettext_lazy("Save to client"), required=False)
    email_text = forms.TypedChoiceField(
        label=gettext_lazy("Email text"), coerce=int, required=False, empty_value=None
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False, max_length=1000)
    body = forms.CharField(label=gettext_lazy("Message"), required=False, widget=forms.Textarea)
    file_format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FileFormat.choices)
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, document: Document, texts: list[EmailText], **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        text_field = self.fields["email_text"]
        format_field = self.fields["file_format"]
        assert isinstance(text_field, forms.ChoiceField)
        assert isinstance(format_field, forms.ChoiceField)
        text_field.choices = [(t.pk, text_label(t)) for t in texts]
        if document.kind not in UBL_KINDS:
            format_field.choices = [(FileFormat.PDF, FileFormat.PDF.label)]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def _addresses(self, name: str) -> list[str]:
        values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
        problems, addresses = [], address_list(values)
        for value in addresses:
            try:
                checks.clean_mailbox(value)
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise ValidationError(problems)
        return addresses

    def clean_to(self) -> list[str]:
        addresses = self._addresses("to")
        if not addresses:
            raise ValidationError(_("Add at least one recipient in To."))
        return addresses

    def clean_cc(self) -> list[str]:
        return self._addresses("cc")

    def clean_bcc(self) -> list[str]:
        return self._addresses("bcc")

    def clean_subject(self) -> str:
        subject = checks.clean_header_text(self.cleaned_data["subject"], _("subject"))
        if not subject:
            raise ValidationError(_("Give the email a subject."))
        return subject

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError(_("Write a message: the body cannot be empty."))
        return body

    def clean_file_format(self) -> str:
        file_format = self.cleaned_data["file_format"]
        try:
            document_files(self.document, file_format)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return file_format

    def clean_attachments(self) -> list[NewAttachment]:
        uploads = self.cleaned_data["attachments"]
        problems = []
        if len(uploads) > checks.MAX_ATTACHMENTS:
            problems.append(
                _("You added %(count)d attachments; an email can have at most %(max)d.")
                % {"count": len(uploads), "max": checks.MAX_ATTACHMENTS}
            )
        if sum(f.size for f in uploads) > checks.MAX_TOTAL_BYTES:
            problems.append(_("The attachments add up to more than 25 MB: remove some."))
        attachments = []
        for upload in uploads:
            content = upload.read()
            try:
                checks.clean_attachment(upload.name, content)
            except ValidationError as error:
                problems.extend(error.messages)
            attachments.append(NewAttachment(upload.name, content))
        if problems:
            raise ValidationError(problems)
        return attachments

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
            file_format=data["file_format"],
            attachments=data["attachments"],
            save_new_addresses=data["save_to_client"],
            created_by=user,
        )


def text_label(text: EmailText) -> str:
    return f"{text.name} ({text.get_language_display()})"
