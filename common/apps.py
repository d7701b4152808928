from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The lowest layer: request parsers, query helpers, the language of a person and
    the database backup commands. No models; imports no other app."""

    name = "common"
    verbose_name = "Common"
