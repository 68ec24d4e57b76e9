"""The Django project and the places where parties meet (organisations, roles, notifications)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
