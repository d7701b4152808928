"""The answer sheet read from a posted quiz form: the views parse the request with
:func:`answer_sheet`, and the use cases (quizzes.services, quizzes.drafts,
progress.services) take the typed :data:`~quizzes.services.AnswerSheet` it gives."""

from __future__ import annotations

from django.http import QueryDict

from quizzes.services import FIELD_PREFIX


def answer_sheet(data: QueryDict) -> dict[str, list[str]]:
    """The posted answer fields (``question-<id>``) with every value each was posted
    with, in the order posted; other fields (the CSRF token, the attempt, the draft
    token) are left out. Nothing is checked here: the use cases refuse what our form
    could not send."""
    return {key: values for key, values in data.lists() if key.startswith(FIELD_PREFIX)}
