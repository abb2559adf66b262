from django.urls import path

from porto.mail import views

urlpatterns = [
    path("<int:pk>/update-status/", views.email_refresh, name="email_refresh"),
    path("<int:pk>/proof.pdf", views.email_proof, name="email_proof"),
    path("documents/<int:pk>/timeline/", views.document_timeline, name="document_timeline"),
]
