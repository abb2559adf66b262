from django.urls import path

from porto.emailsettings import views

urlpatterns = [
    path("", views.email_settings, name="email_settings"),
    path("options/", views.email_settings_options, name="email_settings_options"),
    path("method/", views.email_settings_method, name="email_settings_method"),
    path("test/", views.email_settings_test, name="email_settings_test"),
]
