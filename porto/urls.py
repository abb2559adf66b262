from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from porto.accounts.forms import LoginForm
from porto.web import health

urlpatterns = [
    # Public probes for load balancers and orchestrators (docs/deploy.md).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("settings/email/", include("porto.emailsettings.urls")),
    path("settings/email-texts/", include("porto.emailtexts.urls")),
    path("sandbox/", include("porto.sandbox.urls")),
    path("", include("porto.mail.webhook_urls")),
    # REST API: /api/schema/, /api/docs/, /api/v1/… and Settings > API tokens (porto/api)
    path("", include("porto.api.urls")),
    path("", include("porto.web.urls")),
]

# JSON errors under /api/, the usual pages elsewhere (porto/api/errors.py).
handler404 = "porto.api.errors.not_found"
handler500 = "porto.api.errors.server_error"
