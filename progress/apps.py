from django.apps import AppConfig


class ProgressConfig(AppConfig):
    """The one course-progress rule (a learner's state, percent, next lesson and best
    scores in a course: ``rules.py``), what records progress that needs both lessons and
    quiz attempts (``services.py``: completing a lesson or a course, submitting a quiz),
    the cached course structure (``structure.py``) and the learner's player pages (the
    lesson, quiz and result pages, Continue, Course complete, the catalogue, previews).
    No models: it reads and writes those of lessons and quizzes, below it."""

    name = "progress"
    verbose_name = "Progress"

    def ready(self) -> None:
        # Connect the receivers: a lesson or quiz saved or deleted gives its course a
        # new content version (progress/structure.py); a change the content admin
        # announces records the course completions it made due (progress/receivers.py).
        from progress import receivers, structure  # noqa: F401
