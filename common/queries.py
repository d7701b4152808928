"""Query helpers shared by the apps' bulk pages."""

from django.db.models import IntegerField, Subquery


class SubqueryCount(Subquery):
    """COUNT(*) of a subquery's rows, for annotations (the admin's lesson counts)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()
