"""Invitations: the email with a link to choose a password, owed to people an import
created and sent after its transaction commits.

Each invitation is claimed before it is sent and released if sending fails, so
running the import again (or ``send_invitations``) sends what is still owed and
never sends twice.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Invitation
from accounts.provisioning.result import ImportResult
from common.language import language_for_user

log = logging.getLogger(__name__)


def invitation_link(user) -> str:
    """The address where a new person chooses their password (a password-reset
    link: valid for PASSWORD_RESET_TIMEOUT, and once)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def owed_invitations():
    return Invitation.objects.filter(sent_at__isnull=True, user__is_active=True)


def send_invitations(limit: int | None = None) -> tuple[int, int]:
    """Send the owed invitations of active people, the oldest first, at most
    ``limit``: (sent, failed). Each one is claimed before it is sent, so two runs
    at once never send it twice, and released if sending fails, so a later run
    sends it."""
    owed = list(owed_invitations().select_related("user__profile").order_by("pk")[:limit])
    if not owed:
        return 0, 0
    smtp = mail.get_connection()
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Could not connect to send %d invitations: %s", len(owed), exc)
        return 0, len(owed)
    sent = failed = 0
    try:
        for invitation in owed:
            claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                sent_at=timezone.now()
            )
            if not claimed:
                continue  # sent by another run meanwhile
            try:
                _invitation_email(invitation.user, smtp).send()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("Could not send the invitation of user %s: %s", invitation.user_id, exc)
                Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
                failed += 1
            else:
                sent += 1
    finally:
        smtp.close()
    return sent, failed


def send_owed(result: ImportResult, limit: int | None) -> None:
    """Send what is owed (at most ``limit``) and count it in ``result``: run once the
    import has committed."""
    result.invitations_sent, result.invitations_failed = send_invitations(limit)
    result.invitations_left = owed_invitations().count()


def _invitation_email(user, connection) -> mail.EmailMessage:
    context = {
        "user": user,
        "link": invitation_link(user),
        "site_url": settings.SITE_URL,
        "login_url": settings.SITE_URL + reverse("login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
    }
    # In the invitee's language, whoever runs the import.
    with translation.override(language_for_user(user)):
        subject = render_to_string("accounts/email/invitation_subject.txt", context)
        body = render_to_string("accounts/email/invitation.txt", context)
    return mail.EmailMessage(
        subject=" ".join(subject.split()), body=body, to=[user.email], connection=connection
    )
