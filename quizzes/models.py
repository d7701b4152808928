from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from lessons.models import RunRecord


class QuestionType(models.TextChoices):
    SINGLE = "single", gettext_lazy("Single choice")
    MULTIPLE = "multiple", gettext_lazy("Multiple choice (select all that apply)")
    TRUE_FALSE = "true_false", gettext_lazy("True or false")
    SHORT = "short", gettext_lazy("Short answer")


class ShowAnswers(models.TextChoices):
    """When a learner may see the correct answers (and explanations) of an attempt."""

    ALWAYS = "always", gettext_lazy("Always, right after each attempt")
    AFTER_PASS = "after_pass", gettext_lazy("Once the learner has passed")
    AFTER_LAST_ATTEMPT = "after_last_attempt", gettext_lazy("Once passed or no attempts are left")
    NEVER = "never", gettext_lazy("Never")


def default_show_answers(final: bool) -> str:
    """When answers are shown unless a quiz says otherwise: after every attempt of a
    lesson quiz (learners learn from their mistakes), and for the final assessment
    once passed or out of attempts (it is not retaken with the answers in hand)."""
    return ShowAnswers.AFTER_LAST_ATTEMPT if final else ShowAnswers.ALWAYS


# A timed quiz is done in one sitting; a day is already far beyond one.
MAX_TIME_LIMIT = 24 * 60


class QuizQuerySet(models.QuerySet):
    def published(self) -> "QuizQuerySet":
        return self.filter(retired_at__isnull=True)


class Quiz(models.Model):
    """A lesson's quiz, or a course's final assessment: exactly one of the two."""

    lesson = models.OneToOneField(
        "lessons.Lesson", null=True, blank=True, on_delete=models.CASCADE, related_name="quiz"
    )
    course = models.OneToOneField(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="final_assessment",
    )
    pass_mark = models.PositiveSmallIntegerField(default=80, help_text="Percent needed to pass.")
    max_attempts = models.PositiveSmallIntegerField(default=0, help_text="0 means unlimited.")
    shuffle = models.BooleanField(
        default=False, help_text="Shuffle questions and choices (fixed for each attempt)."
    )
    # The content format's defaults depend on the quiz (default_show_answers); a quiz
    # made in the admin starts with the final assessment's, which gives nothing away.
    show_answers = models.CharField(
        max_length=20,
        choices=ShowAnswers.choices,
        default=ShowAnswers.AFTER_LAST_ATTEMPT,
        help_text="When a learner sees the correct answers and explanations of an attempt.",
    )
    draw = models.PositiveSmallIntegerField(
        default=0,
        help_text="Questions drawn at random for each attempt; 0 means every question.",
    )
    time_limit = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_TIME_LIMIT)],
        help_text="Minutes for one attempt; 0 means no time limit.",
    )
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when removed from the content: attempts kept."
    )
    updated_at = models.DateTimeField(auto_now=True)
    imported_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of the quiz as last imported from its file (import conflict check).",
    )

    objects = QuizQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(lesson__isnull=False, course__isnull=True)
                | Q(lesson__isnull=True, course__isnull=False),
                name="quiz_belongs_to_a_lesson_or_a_course",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__lte=100), name="quiz_pass_mark_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quizzes:take", args=[self.pk])

    def clean(self) -> None:
        # A new quiz has no questions yet: its draw is checked when saved again
        # (and an attempt never draws more questions than there are).
        if self.draw and self.pk is not None:
            available = self.questions.published().count()
            if self.draw > available:
                raise ValidationError(
                    {
                        "draw": ngettext(
                            "Cannot draw %(draw)s questions: the quiz has "
                            "%(available)s published question.",
                            "Cannot draw %(draw)s questions: the quiz has "
                            "%(available)s published questions.",
                            available,
                        )
                        % {"draw": self.draw, "available": available}
                    }
                )

    def has_learner_records(self) -> bool:
        return Attempt.all_runs.filter(quiz=self).exists()

    @property
    def is_final_assessment(self) -> bool:
        return self.course_id is not None

    @property
    def title(self) -> str:
        # A half-made quiz (the admin's add form, before a lesson or course is chosen)
        # has neither; getattr also covers a missing related row, whose
        # RelatedObjectDoesNotExist is an AttributeError. __str__ must never raise.
        if (course := getattr(self, "course", None)) is not None:
            return _("Final assessment: %(course)s") % {"course": course.title}
        if (lesson := getattr(self, "lesson", None)) is not None:
            return _("Quiz: %(lesson)s") % {"lesson": lesson.title}
        return _("Quiz (unattached)")

    @property
    def owning_course(self):
        return self.course if self.is_final_assessment else self.lesson.course

    def attempts_label(self, used: int) -> str:
        """ "1 of 3 attempts used", or "1 attempt used" when unlimited."""
        if self.max_attempts:
            return ngettext(
                "%(used)s of %(max)s attempt used",
                "%(used)s of %(max)s attempts used",
                self.max_attempts,
            ) % {"used": used, "max": self.max_attempts}
        return ngettext("%(used)s attempt used", "%(used)s attempts used", used) % {"used": used}

    def attempts_left_label(self, used: int) -> str:
        """ "2 of 3 attempts left"; "" when unlimited (nothing worth saying)."""
        if not self.max_attempts:
            return ""
        left = max(self.max_attempts - used, 0)
        return ngettext(
            "%(left)s of %(max)s attempt left",
            "%(left)s of %(max)s attempts left",
            self.max_attempts,
        ) % {"left": left, "max": self.max_attempts}

    def has_attempts_left(self, used: int) -> bool:
        return not self.max_attempts or used < self.max_attempts

    @property
    def time_limit_delta(self) -> timedelta | None:
        return timedelta(minutes=self.time_limit) if self.time_limit else None


def _texts(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


class QuestionQuerySet(models.QuerySet):
    def published(self) -> "QuestionQuerySet":
        return self.filter(retired_at__isnull=True)


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=100, help_text="Stable identity in the quiz: the question's id in the content."
    )
    position = models.PositiveIntegerField()
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    prompt = models.TextField()
    explanation = models.TextField(
        blank=True, help_text="Why the right answer is right: shown as show_answers says."
    )
    feedback = models.TextField(
        blank=True,
        help_text="Shown to a learner whose answer was wrong, after every attempt.",
    )
    accepted_answers = models.JSONField(
        default=list,
        blank=True,
        help_text="Short answers: the accepted answers (a list); the first is the one shown.",
    )
    exact = models.BooleanField(
        default=False,
        help_text="Short answers: no typo forgiven (for answers where one letter matters).",
    )
    wrong_answers = models.JSONField(
        default=list,
        blank=True,
        help_text='Short answers: foreseeable wrong answers, [{"answer": "...", '
        '"feedback": "..."}]; refused even one typo away from an accepted answer.',
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["quiz", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="unique_question_key_per_quiz"),
        ]

    def __str__(self) -> str:
        return self.prompt[:80]

    def clean(self) -> None:
        problems = {}
        if self.type == QuestionType.SHORT and not _texts(self.accepted_answers):
            problems["accepted_answers"] = _('A list of accepted answers, such as ["10"].')
        if not isinstance(self.wrong_answers, list) or not all(
            isinstance(item, dict)
            and set(item) <= {"answer", "feedback"}
            and isinstance(item.get("answer"), str)
            and isinstance(item.get("feedback", ""), str)
            for item in self.wrong_answers
        ):
            problems["wrong_answers"] = _(
                'A list of wrong answers, such as [{"answer": "40", "feedback": "..."}].'
            )
        if problems:
            raise ValidationError(problems)

    def has_learner_records(self) -> bool:
        return self.answers.exists()

    @property
    def uses_choices(self) -> bool:
        return self.type != QuestionType.SHORT

    @property
    def allows_several(self) -> bool:
        return self.type == QuestionType.MULTIPLE


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    feedback = models.TextField(blank=True, help_text="Shown to a learner who picked it.")

    class Meta:
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Attempt(RunRecord):
    """One try at a quiz. Opened when the form is shown, graded once when submitted."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    # PROTECT: attempts are a record of learners' work; quizzes are retired, not deleted.
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    # Set when a timed quiz's attempt opens (kept here, never trusted from the form);
    # None: no time limit.
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Display order for this attempt ({question id: [choice ids]}, and since draws and
    # PostgreSQL's jsonb, which keeps no key order, "questions": [question ids]), so a
    # reload keeps it; the questions listed are the attempt's (a draw). Empty: every
    # published question in the quiz's order.
    order = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    # Answers saved as the learner goes (and from a submit after the session ended),
    # {question id: [values as posted]}; shown back when the quiz is opened again.
    saved_answers = models.JSONField(default=dict, blank=True)
    archived_in = models.ForeignKey(
        "lessons.CourseCompletion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="archived_attempts",
        help_text="Set when the learner started the course again: an earlier run's attempt.",
    )

    class Meta(RunRecord.Meta):
        ordering = ["quiz", "learner", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz", "number"], name="unique_attempt_number"
            ),
            # At most one attempt in progress per learner and quiz.
            models.UniqueConstraint(
                fields=["learner", "quiz"],
                condition=Q(submitted_at__isnull=True, archived_in__isnull=True),
                name="one_open_attempt_per_quiz",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True, score__isnull=True, passed__isnull=True)
                | Q(
                    submitted_at__isnull=False,
                    score__isnull=False,
                    max_score__isnull=False,
                    percent__isnull=False,
                    passed__isnull=False,
                ),
                name="attempt_graded_when_submitted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.quiz} · attempt {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:result", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    """What a learner answered, stored with what it answered, so later edits to the quiz
    never change a recorded result."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveIntegerField()
    choice_ids = models.JSONField(default=list, blank=True)
    text = models.CharField(max_length=500, blank=True)
    is_correct = models.BooleanField()
    prompt = models.TextField()
    given = models.TextField(help_text="The answer as the learner saw it.")
    expected = models.TextField(help_text="The correct answer when it was graded.")
    # Short answers: the listed answer the typed one matched when graded (accepted or
    # listed as wrong), and whether a typo was forgiven (quizzes.answers).
    matched = models.CharField(max_length=500, blank=True)
    spelling = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} · {self.question_id}"
