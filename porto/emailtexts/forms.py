"""Forms for email texts: the editor and the choice of a document to preview with."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from porto.documents.models import Document
from porto.emailtexts.models import BODY_MAX_CHARS, SUBJECT_MAX_CHARS, EmailText, field_problems


class EmailTextForm(forms.ModelForm):
    class Meta:
        model = EmailText
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "spellcheck": "true"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Our own length check says more than the generic one (and names the limit).
        subject = self.fields["subject"]
        assert isinstance(subject, forms.CharField)
        subject.max_length = None
        subject.validators = []
        subject.widget.attrs.pop("maxlength", None)

    def clean_subject(self) -> str:
        return self._checked("subject", SUBJECT_MAX_CHARS)

    def clean_body(self) -> str:
        return self._checked("body", BODY_MAX_CHARS)

    def _checked(self, name: str, limit: int) -> str:
        value = self.cleaned_data.get(name, "")
        problems = field_problems(name, value, limit)
        if problems:
            raise ValidationError(problems)
        return value

    def _post_clean(self) -> None:
        """The service validates the whole text (names unique per kind and language)."""

    def add_model_errors(self, error: ValidationError) -> None:
        for name, messages in error.update_error_dict({}).items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class PreviewForm(forms.Form):
    """Which document of the company to preview with; any of them may be given by id, the
    most recent ones are offered."""

    document = forms.IntegerField(label=_("Preview with"), required=False, widget=forms.Select)

    def __init__(self, *args, documents: QuerySet[Document], offered: int = 25, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.documents = documents
        self.fields["document"].widget.choices = [
            (d.pk, document_label(d)) for d in documents[:offered]
        ]

    def clean_document(self) -> Document | None:
        pk = self.cleaned_data.get("document")
        if pk in (None, ""):
            return self.documents.first()
        document = self.documents.filter(pk=pk).first()
        if document is None:
            raise ValidationError(_("Choose one of your company's documents."), code="document")
        return document

    def chosen(self) -> Document | None:
        if self.is_valid():
            return self.cleaned_data["document"]
        return self.documents.first()


def document_label(document: Document) -> str:
    client = document.client.name if document.client else "—"
    number = document.number or _("draft %(pk)s") % {"pk": document.pk}
    return f"{document.display_title} {number} · {client}"
