from django.http import Http404, HttpRequest

from porto.accounts import access


def current_company(request: HttpRequest) -> dict:
    if not request.user.is_authenticated:
        return {}
    try:
        company = access.current_company(request)
    except Http404:
        return {}
    return {
        "company": company,
        "my_companies": access.companies_of(request.user),
        "is_company_owner": access.is_owner(request.user, company),
    }
