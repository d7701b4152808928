"""``manage.py rebuild_search_index``: rewrite the lesson search index from the lessons.

The index is kept in step on every save and delete (lessons/signals.py); this is
for recovery: after a restore from an older backup, lessons changed with raw SQL,
or a doubt.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from lessons.search import rebuild_index


class Command(BaseCommand):
    help = "Rewrite the lesson search index from every lesson (for recovery)."

    def handle(self, *args, **options):
        # One transaction: searches during the rebuild see the old index, not half a new one.
        with transaction.atomic():
            count = rebuild_index()
        self.stdout.write(f"Indexed {count} lesson{'s' if count != 1 else ''} for search.")
