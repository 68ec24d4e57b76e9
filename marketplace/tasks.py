"""Housekeeping tasks of the project itself."""
import socket

from celery import shared_task


@shared_task(name="marketplace.ping")
def ping() -> dict:
    """Answers from whichever worker took it: proves the broker and a worker are alive."""
    return {"pong": True, "host": socket.gethostname()}
