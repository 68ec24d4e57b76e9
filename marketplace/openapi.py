"""drf-spectacular hooks: the published schema covers the project's own /api/, not Wagtail's admin API."""


def only_project_api(endpoints):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class BearerKeyScheme(OpenApiAuthenticationExtension):
    """Swagger's "Authorize" button for the members' named API keys (``Authorization: Bearer <key>``)."""

    target_class = "marketplace.tokens.BearerTokenAuthentication"
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A named API key made at /me/api-keys/ (shown once). 在 /me/api-keys/ 创建的密钥。",
        }
