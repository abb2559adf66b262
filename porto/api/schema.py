"""What drf-spectacular needs to know about Porto's API beyond the views: the bearer-token
scheme, and the error answers every operation may give (documented once, here)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from porto.api.serializers.errors import ErrorSerializer


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "porto.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A company's API token (porto_…), made by an owner in Settings.",
        }


# Every operation may answer these; writes also these.
COMMON_ERRORS = ("400", "401", "403", "404", "429")
WRITE_ERRORS = ("409", "413", "415", "422")


class PortoAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        writes = self.method in {"POST", "PUT", "PATCH", "DELETE"}
        statuses = COMMON_ERRORS + (WRITE_ERRORS if writes else ())
        for code in statuses:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
        return responses
