"""The admin for staff who are not superusers: every registered ModelAdmin either scopes its
rows to the staff member's companies (``CompanyScopedAdmin``) or is for superusers only
(``SuperuserOnlyAdmin``, with the reason next to it). tests/accounts/test_admin_tenancy.py
walks the registry and fails for a ModelAdmin that is neither."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from porto.accounts.access import companies_of
from porto.accounts.forms import AdminLoginForm
from porto.accounts.models import Company, LoginFailure, Membership

COMPANY_PATH_DEPTH = 3  # the longest chain in use: event → recipient → email → company


def company_path_of(model: type[Model], depth: int = COMPANY_PATH_DEPTH) -> str | None:
    """The lookup from ``model`` to the company its rows belong to, following foreign keys
    (``client__company`` for a client's address); None for models of no company (users)."""
    if model is Company:
        return "pk"
    for field in model._meta.get_fields():
        if isinstance(field, ForeignKey) and field.related_model is Company:
            return field.name
    if depth == 0:
        return None
    for field in model._meta.get_fields():
        if isinstance(field, ForeignKey) and field.related_model is not get_user_model():
            further = company_path_of(field.related_model, depth - 1)
            if further is not None:
                return f"{field.name}__{further}"
    return None


def rows_of_their_companies(queryset: QuerySet, company_path: str, user) -> QuerySet:
    """The rows of ``queryset`` that belong to one of ``user``'s companies; rows without a
    company (a null link) belong to nobody, so only superusers see them."""
    return queryset.filter(**{f"{company_path}__in": companies_of(user)})


def scoped_choices(model: type[Model], user) -> QuerySet | None:
    """The objects of ``model`` a non-superuser may pick: those of their companies. None for
    models that belong to no company (users: see ``member_choices``)."""
    company_path = company_path_of(model)
    if company_path is None:
        return None
    return rows_of_their_companies(model._default_manager.all(), company_path, user)


def member_choices(request: HttpRequest, db_field, kwargs: dict) -> dict:
    """Staff who are not superusers pick only people already in one of their companies."""
    if db_field.related_model is get_user_model() and not request.user.is_superuser:
        members = Membership.objects.filter(company__in=companies_of(request.user))
        kwargs["queryset"] = get_user_model().objects.filter(memberships__in=members).distinct()
    return kwargs


def scoped_foreignkey_kwargs(request: HttpRequest, db_field, kwargs: dict) -> dict:
    """Foreign-key choices of an add or change form: the staff member's companies only."""
    if request.user.is_superuser:
        return kwargs
    kwargs = member_choices(request, db_field, kwargs)
    choices = scoped_choices(db_field.related_model, request.user)
    if choices is not None:
        kwargs["queryset"] = choices
    return kwargs


class CompanyScopedInline(admin.options.InlineModelAdmin):
    """An inline's rows follow its parent (already scoped); its own choices are scoped here."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = scoped_foreignkey_kwargs(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CompanyScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see, open and pick only what belongs to their companies:
    the changelist, change, delete and history pages, autocomplete and raw-id lookups (all
    read ``get_queryset``), foreign-key choices and the list filters on related objects."""

    company_path = ""  # empty: derived from the model's foreign keys

    def get_company_path(self) -> str:
        company_path = self.company_path or company_path_of(self.model)
        if not company_path:
            raise TypeError(f"{self.model.__name__} has no link to a company to scope by.")
        return company_path

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return rows_of_their_companies(queryset, self.get_company_path(), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = scoped_foreignkey_kwargs(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest):
        """A filter on a related object lists every row of that model; for staff who are not
        superusers it lists only the values their own rows use."""
        list_filter = super().get_list_filter(request)
        if request.user.is_superuser:
            return list_filter
        return [self._related_only(entry) for entry in list_filter]

    def _related_only(self, entry):
        if not isinstance(entry, str):
            return entry
        field = self.model._meta.get_field(entry.split("__")[0])
        if field.is_relation:
            return (entry, admin.RelatedOnlyFieldListFilter)
        return entry


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Hidden from and refused to staff who are not superusers. Each use says why its rows
    cannot be scoped to a company."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


# Users belong to no single company (one person may be a member of several), and changing a
# user can grant staff or superuser status: superusers only. Staff add people to their own
# companies through the membership inline, choosing among people already in one of them.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PortoUserAdmin(SuperuserOnlyAdmin, UserAdmin):
    pass


# Groups carry permissions for every company at once: superusers only.
admin.site.unregister(Group)


@admin.register(Group)
class PortoGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    pass


# Background task results hold the arguments and results of every company's tasks in JSON,
# with no column naming the company: superusers only.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class PortoTaskResultAdmin(SuperuserOnlyAdmin, DBTaskResultAdmin):
    pass


class MembershipInline(CompanyScopedInline, admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    company_path = "pk"
    list_display = ["name", "kbo_number", "vat_number", "city", "default_language"]
    search_fields = ["name", "kbo_number", "vat_number"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["role"]


# The admin's login form is throttled like the app's (porto/accounts/throttle.py).
admin.site.login_form = AdminLoginForm


# Failed logins name usernames and addresses of anyone, member of a company or not:
# superusers only. Deleting a username's rows lifts its lock at once.
@admin.register(LoginFailure)
class LoginFailureAdmin(SuperuserOnlyAdmin):
    list_display = ["username", "ip", "at"]
    search_fields = ["username", "ip"]
    readonly_fields = ["username", "ip", "at"]

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False
