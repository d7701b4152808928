from django.apps import AppConfig


class AuthoringConfig(AppConfig):
    """The content format: reading and checking course folders (Markdown + YAML), their
    hashes, importing them into courses, lessons and quizzes, exporting them back, and
    the ``import_content`` / ``export_content`` commands. No models: it writes the
    models of the apps below it (courses, lessons, quizzes)."""

    name = "authoring"
    verbose_name = "Authoring"
