from django.urls import path

from porto.sandbox import views

app_name = "sandbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.message_detail, name="message"),
    path("<int:pk>/html/", views.message_html, name="message_html"),
    path("<int:pk>/raw/", views.message_raw, name="message_raw"),
    path("<int:pk>/attachments/<int:index>/", views.attachment_download, name="attachment"),
]
