"""What progress announces to the apps above it (which it may not import)."""

from django.dispatch import Signal

# A course completion was recorded, in the transaction recording it (before its
# commit): ``completion`` (with its certificate). training.receivers decides how
# long it counts (training.recertification.record_validity).
course_completed = Signal()
