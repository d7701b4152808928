"""What the content admin tells the apps above it, which it may not import.

``content_changed`` is sent by the content admin (courses.admin_tools) after it has
saved, published, retired or deleted courses, lessons or quizzes, inside the change's
transaction, with ``instances``: the objects changed (as they were saved, or as they
were before a delete). Receivers: progress records the course completions the change
made due (a lesson or final assessment retired, set back to draft, deleted or moved
to another course), so they are written with the change, never by a learner's GET.
"""

from django.dispatch import Signal

content_changed = Signal()
