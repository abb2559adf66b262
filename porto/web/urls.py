from django.urls import path

from porto.web import (
    client_views,
    company_views,
    document_views,
    email_views,
    hook_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.document_list, name="documents"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
    path("documents/<int:pk>/send/", views.document_send, name="document_send"),
    path(
        "documents/<int:pk>/email-text/<int:text_id>/",
        views.document_email_text,
        name="document_email_text",
    ),
    path(
        "documents/<int:pk>/format-check/",
        views.document_format_check,
        name="document_format_check",
    ),
    path(
        "documents/<int:pk>/download/<str:fmt>/", views.document_download, name="document_download"
    ),
    path("documents/bulk/summary/", views.bulk_summary, name="bulk_summary"),
    path("documents/bulk/send/", views.bulk_start, name="bulk_start"),
    path("documents/bulk/<int:pk>/", views.bulk_job, name="bulk_job"),
    path("documents/bulk/<int:pk>/progress/", views.bulk_job_progress, name="bulk_job_progress"),
    path("documents/bulk/<int:pk>/retry-now/", views.bulk_job_retry_now, name="bulk_job_retry_now"),
    path("emails/retry-now/", views.outbox_retry_now, name="outbox_retry_now"),
    # Clients (porto/web/client_views.py)
    path("clients/", client_views.client_list, name="clients"),
    path("clients/new/", client_views.client_new, name="client_new"),
    path("clients/<int:pk>/", client_views.client_detail, name="client"),
    path("clients/<int:pk>/edit/", client_views.client_edit, name="client_edit"),
    path("clients/<int:pk>/archive/", client_views.client_archive, name="client_archive"),
    path("clients/<int:pk>/unarchive/", client_views.client_unarchive, name="client_unarchive"),
    path("clients/<int:pk>/delete/", client_views.client_delete, name="client_delete"),
    # End of clients
    path("company/switch/", views.company_switch, name="company_switch"),
    # Company profile and number series (company_views.py)
    path("company/", company_views.company_profile, name="company_profile"),
    path("company/logo/", company_views.company_logo, name="company_logo"),
    path("company/numbering/", company_views.number_series, name="number_series"),
    path("emails/<int:pk>/update-status/", email_views.email_refresh, name="email_refresh"),
    path("emails/<int:pk>/proof.pdf", email_views.email_proof, name="email_proof"),
    path("emails/<int:pk>/retry-now/", email_views.email_retry_now, name="email_retry_now"),
    path(
        "emails/documents/<int:pk>/timeline/",
        email_views.document_timeline,
        name="document_timeline",
    ),
]

# The document editor (porto/web/document_views.py).
urlpatterns += [
    path("documents/new/", document_views.document_new, name="document_new"),
    path(
        "documents/new/preview/", document_views.document_new_preview, name="document_new_preview"
    ),
    path("documents/editor/totals/", document_views.document_totals, name="document_totals"),
    path("documents/<int:pk>/edit/", document_views.document_edit, name="document_edit"),
    path("documents/<int:pk>/preview/", document_views.document_preview, name="document_preview"),
    path(
        "documents/<int:pk>/finalize/", document_views.document_finalize, name="document_finalize"
    ),
    path(
        "documents/<int:pk>/duplicate/",
        document_views.document_duplicate,
        name="document_duplicate",
    ),
    path("documents/<int:pk>/credit/", document_views.document_credit, name="document_credit"),
    path("documents/<int:pk>/delete/", document_views.document_delete, name="document_delete"),
]

# Settings > Webhooks (porto/web/hook_views.py).
urlpatterns += [
    path("settings/webhooks/", hook_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", hook_views.webhook, name="webhook"),
    path("settings/webhooks/<int:pk>/enable/", hook_views.webhook_enable, name="webhook_enable"),
    path("settings/webhooks/<int:pk>/delete/", hook_views.webhook_delete, name="webhook_delete"),
    path("settings/webhooks/<int:pk>/secret/", hook_views.webhook_secret, name="webhook_secret"),
    path("settings/webhooks/<int:pk>/rotate/", hook_views.webhook_rotate, name="webhook_rotate"),
    path("settings/webhooks/<int:pk>/test/", hook_views.webhook_test, name="webhook_test"),
]
