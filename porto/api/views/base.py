"""The base of every API view: the company the request acts for, and the body size limit."""

from functools import cached_property

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from porto.accounts.models import Company
from porto.api.errors import PayloadTooLarge
from porto.api.permissions import api_company


class CompanyAPIView(GenericAPIView):
    """Reads and writes are scoped to ``self.company``; a row of another company is 404."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        self.refuse_large_body(request)
        super().initial(request, *args, **kwargs)

    def max_body_bytes(self) -> int:
        """Views taking uploads (multipart) may allow more."""
        return settings.PORTO_API_MAX_BODY_BYTES

    def refuse_large_body(self, request: Request) -> None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = self.max_body_bytes()
        if length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(
                _("The request body is %(size)d KB; this endpoint accepts at most %(max)d KB.")
                % {"size": -(-int(length) // 1024), "max": limit // 1024}
            )

    @cached_property
    def company(self) -> Company:
        return api_company(self.request)
