"""drf-spectacular hooks: the published schema covers the project's own /api/, not Wagtail's admin API."""


def only_project_api(endpoints):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
