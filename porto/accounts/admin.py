from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from porto.accounts.access import companies_of
from porto.accounts.models import Company, Membership


class CompanyScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see and pick only the companies they belong to."""

    company_path = "company"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.company_path}__in": companies_of(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            choices = scoped_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def scoped_choices(model, user) -> QuerySet | None:
    """The objects of ``model`` a non-superuser may pick: their companies, or what belongs
    to them. None for models that belong to no company (such as users)."""
    if model is Company:
        return companies_of(user)
    if any(field.name == "company" for field in model._meta.get_fields()):
        return model._default_manager.filter(company__in=companies_of(user))
    return None


def member_choices(request: HttpRequest, db_field, kwargs: dict) -> dict:
    """Staff who are not superusers pick only people already in one of their companies."""
    if db_field.name == "user" and not request.user.is_superuser:
        members = Membership.objects.filter(company__in=companies_of(request.user))
        kwargs["queryset"] = get_user_model().objects.filter(memberships__in=members).distinct()
    return kwargs


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = member_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    company_path = "pk"
    list_display = ["name", "kbo_number", "vat_number", "city", "default_language"]
    search_fields = ["name", "kbo_number", "vat_number"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=companies_of(request.user))


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["role"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = member_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
