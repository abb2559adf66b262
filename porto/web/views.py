"""Pages. Each view: access check, one selector or service call, render."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from porto.accounts import access
from porto.clients.models import Client
from porto.documents import selectors
from porto.documents.models import Document, DocumentKind

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("documents")


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    filters = {
        "kind": request.GET.get("kind", ""),
        "status": request.GET.get("status", ""),
        "search": request.GET.get("q", "").strip(),
    }
    documents = selectors.document_list(company, **filters)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/document_list.html",
        {"page": page, "filters": filters, "kinds": DocumentKind.choices},
    )


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = Document.objects.select_related("client", "corrects").prefetch_related("lines")
    document = access.company_object_or_404(request, queryset, pk=pk)
    return render(
        request,
        "web/document_detail.html",
        {"document": document, "totals": document.compute_totals()},
    )


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    clients = access.scoped(request, Client.objects.prefetch_related("emails"))
    page = Paginator(clients.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/client_list.html", {"page": page})


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = access.company_object_or_404(request, Client.objects.all(), pk=pk)
    documents = client.documents.order_by("-issue_date", "-pk")[:100]
    return render(request, "web/client_detail.html", {"client": client, "documents": documents})


@login_required
@require_POST
def company_switch(request: HttpRequest) -> HttpResponse:
    access.switch_company(request, request.POST.get("company", ""))
    return redirect("documents")
