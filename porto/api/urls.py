"""The API under /api/ (schema, docs, /api/v1/<resource>/) and its Settings page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from porto.api import token_views
from porto.api.views import clients, documents, emails, sending, webhooks

v1 = [
    path("clients/", clients.ClientList.as_view(), name="api_clients"),
    path("clients/<int:pk>/", clients.ClientDetail.as_view(), name="api_client"),
    path("clients/<int:pk>/archive/", clients.ClientArchive.as_view(), name="api_client_archive"),
    path(
        "clients/<int:pk>/unarchive/",
        clients.ClientUnarchive.as_view(),
        name="api_client_unarchive",
    ),
    # Documents
    path("documents/", documents.DocumentList.as_view(), name="api_documents"),
    path("documents/<int:pk>/", documents.DocumentDetail.as_view(), name="api_document"),
    path(
        "documents/<int:pk>/finalize/",
        documents.DocumentFinalize.as_view(),
        name="api_document_finalize",
    ),
    path(
        "documents/<int:pk>/credit/", documents.DocumentCredit.as_view(), name="api_document_credit"
    ),
    path(
        "documents/<int:pk>/duplicate/",
        documents.DocumentDuplicate.as_view(),
        name="api_document_duplicate",
    ),
    path("documents/<int:pk>/pdf", documents.DocumentPdf.as_view(), name="api_document_pdf"),
    path("documents/<int:pk>/ubl", documents.DocumentUbl.as_view(), name="api_document_ubl"),
    # Sending and emails
    path("documents/<int:pk>/send/", sending.DocumentSend.as_view(), name="api_document_send"),
    path(
        "documents/<int:pk>/emails/",
        emails.DocumentEmails.as_view(),
        name="api_document_emails",
    ),
    path("bulk-sends/", sending.BulkSendCreate.as_view(), name="api_bulk_sends"),
    path("bulk-sends/<int:pk>/", sending.BulkSendDetail.as_view(), name="api_bulk_send"),
    path("emails/", emails.EmailList.as_view(), name="api_emails"),
    path("emails/<int:pk>/", emails.EmailDetail.as_view(), name="api_email"),
    path(
        "emails/<int:pk>/update-status/",
        emails.EmailUpdateStatus.as_view(),
        name="api_email_update_status",
    ),
    # Webhooks
    path("webhook-endpoints/", webhooks.EndpointList.as_view(), name="api_webhook_endpoints"),
    path(
        "webhook-endpoints/<int:pk>/",
        webhooks.EndpointDetail.as_view(),
        name="api_webhook_endpoint",
    ),
    path(
        "webhook-endpoints/<int:pk>/rotate-secret/",
        webhooks.EndpointRotateSecret.as_view(),
        name="api_webhook_endpoint_rotate_secret",
    ),
    path(
        "webhook-endpoints/<int:pk>/test/",
        webhooks.EndpointTest.as_view(),
        name="api_webhook_endpoint_test",
    ),
    path(
        "webhook-endpoints/<int:pk>/attempts/",
        webhooks.EndpointAttempts.as_view(),
        name="api_webhook_endpoint_attempts",
    ),
    path("webhook-event-types/", webhooks.EventTypeList.as_view(), name="api_webhook_event_types"),
]

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/v1/", include(v1)),
    path("settings/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path(
        "settings/api-tokens/<int:pk>/revoke/",
        token_views.api_token_revoke,
        name="api_token_revoke",
    ),
]
