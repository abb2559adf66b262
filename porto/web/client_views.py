"""The client pages: list with search, the client's page with its documents and emails,
create and edit with its addresses, archive, unarchive and delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.accounts import access
from porto.clients import selectors, services
from porto.clients.countries import country_name
from porto.clients.forms import ClientForm, client_email_formset
from porto.clients.models import Client
from porto.web import client_selectors

PAGE_SIZE = 50
CLIENT_PAGE_SIZE = 25  # documents and emails on the client's page


def _client(request: HttpRequest, pk: int) -> Client:
    return access.company_object_or_404(request, Client.objects.all(), pk=pk)


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    search = request.GET.get("q", "").strip()
    show_archived = request.GET.get("archived") == "1"
    clients = selectors.client_list(company, search=search, show_archived=show_archived)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "search": search, "show_archived": show_archived}
    return render(request, "web/client_list.html", context)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    documents = Paginator(client_selectors.client_documents(client), CLIENT_PAGE_SIZE)
    emails = Paginator(client_selectors.client_emails(client), CLIENT_PAGE_SIZE)
    email_page = emails.get_page(request.GET.get("emails_page"))
    context = {
        "client": client,
        "country": country_name(client.country),
        "documents": documents.get_page(request.GET.get("documents_page")),
        "emails": email_page,
        "email_rows": client_selectors.client_email_rows(list(email_page), timezone.now()),
        "can_delete": not services.client_delete_problem(client),
    }
    return render(request, "web/client_detail.html", context)


def client_form_page(request: HttpRequest, client: Client) -> HttpResponse:
    """The form for a new (unsaved) or existing client: shown, or saved and redirected."""
    data = request.POST if request.method == "POST" else None
    form = ClientForm(data, instance=client)
    addresses = client_email_formset(data, client)
    if data is not None and form.is_valid() and addresses.is_valid():
        saved = services.client_save(form.save(commit=False), addresses.changes())
        messages.success(request, _("The client %(name)s is saved.") % {"name": saved.name})
        return redirect("client", saved.pk)
    context = {"form": form, "addresses": addresses, "client": client}
    return render(request, "web/client_form.html", context, status=400 if data else 200)


@login_required
def client_new(request: HttpRequest) -> HttpResponse:
    return client_form_page(request, Client(company=access.current_company(request)))


@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return client_form_page(request, _client(request, pk))


@login_required
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)  # first: another company's client is 404 for any method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.client_archive(client)
    messages.success(
        request,
        _(
            "%(name)s is archived: it is no longer offered for new documents. "
            "Its documents stay available."
        )
        % {"name": client.name},
    )
    return redirect("client", client.pk)


@login_required
def client_unarchive(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.client_unarchive(client)
    messages.success(request, _("%(name)s is active again.") % {"name": client.name})
    return redirect("client", client.pk)


@login_required
def client_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (a client with documents is refused)."""
    client = _client(request, pk)
    problem = services.client_delete_problem(client)
    if request.method == "POST" and not problem:
        try:
            services.client_delete(client)
        except ValidationError as error:  # a document was added meanwhile
            problem = error.messages[0]
        else:
            messages.success(request, _("%(name)s is deleted.") % {"name": client.name})
            return redirect("clients")
    context = {"client": client, "problem": problem}
    refused = request.method == "POST" and problem
    return render(request, "web/client_delete.html", context, status=409 if refused else 200)
