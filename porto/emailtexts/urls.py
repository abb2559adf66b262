from django.urls import path

from porto.emailtexts import views

urlpatterns = [
    path("", views.email_text_list, name="email_texts"),
    path("new/", views.email_text_new, name="email_text_new"),
    path("<int:pk>/", views.email_text_edit, name="email_text"),
    path("<int:pk>/default/", views.email_text_default, name="email_text_default"),
    path("<int:pk>/reset/", views.email_text_reset, name="email_text_reset"),
    path("<int:pk>/delete/", views.email_text_delete, name="email_text_delete"),
]
