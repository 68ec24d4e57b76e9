"""Housekeeping tasks of the project itself, and the e-mail of notifications."""
import smtplib
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


@shared_task(
    name="marketplace.send_notification_emails", autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True, max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications (owed in the task outbox by ``notify``); each is sent at most once, so a re-run
    after a lost worker, or a retry after a mail server that did not answer, sends only what is still owed."""
    from marketplace.notifications import notification_email_send

    return sum(notification_email_send(pk) for pk in notification_ids)
