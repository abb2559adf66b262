"""Settings > Email texts: the list per kind and language, the editor with its placeholder
list and a preview with a real document, and the actions (default, reset, delete).
Every member of the company may edit its texts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from porto.accounts import access
from porto.emailtexts import selectors, services
from porto.emailtexts.forms import EmailTextForm, PreviewForm
from porto.emailtexts.models import EmailText, TextKind
from porto.emailtexts.placeholders import PLACEHOLDERS
from porto.lib.languages import Language


@login_required
def email_text_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.email_text_table(access.current_company(request))
    return render(request, "emailtexts/email_text_list.html", {"rows": rows})


def _text(request: HttpRequest, pk: int) -> EmailText:
    return access.company_object_or_404(request, EmailText.objects.all(), pk=pk)


@login_required
def email_text_edit(request: HttpRequest, pk: int) -> HttpResponse:
    text = _text(request, pk)
    if request.method != "POST":
        return _editor(request, text, EmailTextForm(instance=text))
    form = EmailTextForm(request.POST, instance=text)
    if form.is_valid() and "preview" not in request.POST:
        try:
            services.email_text_update(text, **form.cleaned_data)
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": text.name})
            return redirect("email_text", pk=text.pk)
    return _editor(request, _text(request, pk), form)


@login_required
def email_text_new(request: HttpRequest) -> HttpResponse:
    kind, language = _kind_and_language(request)
    company = access.current_company(request)
    draft = EmailText(company=company, kind=kind, language=language)
    if request.method != "POST":
        base = services.email_text_for(company, kind, language)
        form = EmailTextForm(initial={"subject": base.subject, "body": base.body})
        return _editor(request, draft, form)
    form = EmailTextForm(request.POST, instance=draft)
    if form.is_valid() and "preview" not in request.POST:
        try:
            text = services.email_text_create(
                company=company, kind=kind, language=language, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_model_errors(error)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": text.name})
            return redirect("email_text", pk=text.pk)
    return _editor(request, EmailText(company=company, kind=kind, language=language), form)


def _kind_and_language(request: HttpRequest) -> tuple[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    kind, language = source.get("kind", ""), source.get("language", "")
    if kind not in TextKind.values or language not in Language.values:
        raise Http404(_("Unknown kind or language."))
    return kind, language


def _editor(request: HttpRequest, text: EmailText, form: EmailTextForm) -> HttpResponse:
    documents = selectors.preview_documents(text.company, text.kind)
    source = request.POST if request.method == "POST" else request.GET
    preview_form = PreviewForm(source or None, documents=documents)
    context = {
        "text": text,
        "form": form,
        "preview_form": preview_form,
        "placeholders": [(f"{{{name}}}", str(help)) for name, help in PLACEHOLDERS.items()],
        "preview": _preview(text, form, preview_form),
    }
    return render(request, "emailtexts/email_text_edit.html", context)


def _preview(text: EmailText, form: EmailTextForm, preview_form: PreviewForm):
    """The text as the form holds it (saved or not), rendered with the chosen document."""
    if form.is_bound and not form.is_valid():
        return None
    document = preview_form.chosen()
    if document is None:
        return None
    shown = EmailText(kind=text.kind, language=text.language, name=text.name)
    data = form.cleaned_data if form.is_bound else form.initial
    shown.subject = data.get("subject", text.subject)
    shown.body = data.get("body", text.body)
    try:
        return {"document": document, "rendered": services.email_text_render(shown, document)}
    except ValidationError:
        return None


@login_required
@require_POST
def email_text_default(request: HttpRequest, pk: int) -> HttpResponse:
    text = services.email_text_set_default(_text(request, pk))
    messages.success(
        request,
        _("“%(name)s” is now the default %(kind)s text in %(language)s.")
        % {
            "name": text.name,
            "kind": text.get_kind_display().lower(),
            "language": text.get_language_display(),
        },
    )
    return redirect("email_texts")


@login_required
@require_POST
def email_text_reset(request: HttpRequest, pk: int) -> HttpResponse:
    text = services.email_text_reset(_text(request, pk))
    messages.success(
        request, _("“%(name)s” has the shipped subject and body again.") % {"name": text.name}
    )
    return redirect("email_text", pk=text.pk)


@login_required
@require_POST
def email_text_delete(request: HttpRequest, pk: int) -> HttpResponse:
    text = _text(request, pk)
    try:
        services.email_text_delete(text)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is deleted.") % {"name": text.name})
    return redirect("email_texts")
