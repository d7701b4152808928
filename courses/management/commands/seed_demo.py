from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    # username, first name, last name, is superuser
    ("learner", "Lee", "Learner", False),
    ("trainer", "Tara", "Trainer", False),
    ("admin", "Ada", "Admin", True),
]


class Command(BaseCommand):
    help = "Create the demo accounts learner, trainer and admin (password 'demo'). DEBUG only."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a known password; it runs only with DEBUG on."
            )
        User = get_user_model()
        for username, first_name, last_name, is_superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.com",
                    "is_staff": is_superuser,
                    "is_superuser": is_superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                self.stdout.write(f"Created {username} (password: {DEMO_PASSWORD})")
            else:
                self.stdout.write(f"{username} exists; left as it is")
