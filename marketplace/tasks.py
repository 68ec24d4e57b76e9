"""Housekeeping tasks of the project itself."""
import socket

from celery import shared_task


@shared_task(name="marketplace.ping")
def ping() -> dict:
    """Answers from whichever worker took it: proves the broker and a worker are alive."""
    return {"pong": True, "host": socket.gethostname()}


@shared_task(name="marketplace.outbox_republish")
def outbox_republish() -> int:
    """Periodic (every minute): publish again the tasks still owed past their lease or held by a dead worker."""
    from marketplace.outbox import outbox_republish_due

    return outbox_republish_due()
