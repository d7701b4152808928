from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in and staying signed in: sessions now; SSO and provisioning later."""

    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.sessions import note_sign_in

        user_logged_in.connect(note_sign_in, dispatch_uid="accounts.note_sign_in")

        from accounts.language import restore_language

        user_logged_in.connect(restore_language, dispatch_uid="accounts.restore_language")

        # Failed logins whose password was checked, for the rules across names and
        # across addresses (accounts/throttling.py).
        from django.contrib.auth.signals import user_login_failed

        from accounts.throttling import record_failure

        user_login_failed.connect(record_failure, dispatch_uid="accounts.record_failure")

        # Single sign-on: keep the record of teams SSO added across allauth's rewrite of
        # a SocialAccount's extra_data at each sign-in (accounts/sso.py).
        from allauth.socialaccount.models import SocialAccount
        from django.db.models.signals import pre_save

        from accounts.sso import keep_granted_teams

        pre_save.connect(
            keep_granted_teams, sender=SocialAccount, dispatch_uid="accounts.keep_granted_teams"
        )

        # Only the SSO identities (who is which `sub`) belong in the admin: the provider is
        # configured by the environment alone (a SocialApp row would be a second, clashing
        # one), tokens are not kept, and allauth's email table is not used.
        from allauth.account.models import EmailAddress, EmailConfirmation
        from allauth.socialaccount.models import SocialApp, SocialToken
        from django.contrib import admin

        for model in (EmailAddress, EmailConfirmation, SocialApp, SocialToken):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
