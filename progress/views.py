"""The learner's player pages, which ask the course-progress rule (progress.rules):
the catalogue, Continue and Course complete (``courses:`` names), the lesson page, its
start and Mark complete (``lessons:``), the quiz page and an attempt's result
(``quizzes:``), and the content staff's previews of a course and a lesson.
config/urls.py mounts them under their namespaces, so no URL name changed when they
moved here; their templates are looked up by name in the courses, lessons and quizzes
folders. The pages' GETs record nothing: what a visit records is posted (a lesson's
start, a quiz's Start, grading a timed attempt whose time is up)."""

from contextlib import suppress

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from common.http import parse_id, post_only
from courses.models import Course, Visibility
from courses.roles import may_preview_content
from lessons.models import Lesson, ProgressState
from lessons.services import LessonError, start_lesson
from lessons.translations import show_in_language
from progress.prerequisites import Lock, lock_of, mark_course_locks, page_locks
from progress.rules import (
    CourseProgress,
    LearnerCourse,
    as_new_learner,
    courses_with_progress,
    learner_course,
    lesson_to_continue,
    progress_from_lessons,
)
from progress.services import (
    close_expired_quiz,
    complete_lesson,
    submit_quiz,
)
from quizzes import drafts
from quizzes.drafts import DraftRefused
from quizzes.models import Attempt, Quiz
from quizzes.services import (
    AttemptClosed,
    MissingAnswers,
    QuizLocked,
    TamperedAnswers,
    answers_visible,
    attempt_in_progress,
    check_quiz_open,
    open_attempt,
    questions_for,
    quiz_status,
    review_attempt,
    time_is_up,
    time_left,
)
from quizzes.sheets import answer_sheet
from quizzes.translations import localise_questions, localise_review

# Courses: the catalogue, Continue, Course complete, the preview -------------------


def catalogue(request: HttpRequest) -> HttpResponse:
    """Open courses anyone may start, with the learner's progress in each."""
    rows = courses_with_progress(
        request.user,
        Course.objects.published().filter(visibility=Visibility.OPEN),
    )
    courses = [course for course, _progress in rows]
    completed = {course.pk for course, progress in rows if progress.completed_at}
    required = mark_course_locks(request.user, courses, completed)
    show_in_language(courses=courses + required)
    return render(request, "courses/catalogue.html", {"course_rows": rows})


def visible_course(request: HttpRequest, course_slug: str) -> Course:
    """The course, if the person may see it (Course.is_visible_to), else a 404."""
    course = get_object_or_404(Course, slug=course_slug)
    if not course.is_visible_to(request.user):
        raise Http404("No such course.")
    return course


def learner_course_or_404(request: HttpRequest, course_slug: str) -> tuple[Course, LearnerCourse]:
    """The course and the learner's state in it (progress.rules.learner_course), or a
    404 when they may not see it or it has no lessons yet."""
    course = visible_course(request, course_slug)
    state = learner_course(request.user, course)
    if not state.lessons:
        raise Http404("This course has no lessons yet.")
    return course, state


def continue_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """ "Start" and "Continue" both land here: the first unfinished lesson reached."""
    course, state = learner_course_or_404(request, course_slug)
    if page_locks(request.user, course, state.lessons, state.completion is not None).course:
        return redirect(course)  # the course page says what unlocks it
    if state.progress.awaiting_final:
        return redirect(state.final)
    lesson = lesson_to_continue(state.lessons)
    lesson.course = course
    return redirect(lesson)


def course_complete(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, state = learner_course_or_404(request, course_slug)
    progress = state.progress
    if progress.awaiting_final:
        messages.info(request, _("Pass the final assessment to complete the course."))
        return redirect(state.final)
    if progress.state != ProgressState.COMPLETED:
        _say_lessons_left(request, progress)
        return redirect(course)
    # Reads only: the completion was recorded by the step that met the last requirement
    # (progress.services). Complete by the rule with nothing recorded (content changed
    # behind the use cases' back) shows the page without a date or certificate.
    show_in_language([course], state.lessons)
    return render(
        request,
        "courses/course_complete.html",
        {
            "course": course,
            "lessons": state.lessons,
            "progress": progress,
            "final": state.final,
            "completion": state.completion,
            "certificate": getattr(state.completion, "certificate", None),
        },
    )


def preview_course(request: HttpRequest, course_id: int) -> HttpResponse:
    """A course, draft or not, as a learner would see it before starting. Content
    staff only: trainers see courses as learners do."""
    if not may_preview_content(request.user):
        raise Http404("No such page.")
    course = get_object_or_404(Course, pk=course_id)
    lessons = as_new_learner(
        list(
            Lesson.objects.filter(course=course, retired_at__isnull=True)
            .defer("body_markdown", "body_html")
            .order_by("position", "id")
        )
    )
    return render(
        request,
        "courses/course_detail.html",
        {
            "preview": True,
            "course": course,
            "lessons": lessons,
            "final": None,
            "progress": progress_from_lessons(lessons),
            "current_lesson": lessons[0] if lessons else None,
            "current_number": 1,
        },
    )


# Lessons: the lesson page, Mark complete, the preview ------------------------------


def _published_lesson(request: HttpRequest, course_slug: str, lesson_slug: str) -> Lesson:
    lesson = get_object_or_404(
        Lesson.objects.published().select_related("course"),
        course__slug=course_slug,
        slug=lesson_slug,
    )
    if not lesson.course.is_visible_to(request.user):
        raise Http404("No such lesson.")
    return lesson


def _lesson_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    """The lesson page. Its outline is shown twice (behind a disclosure on a phone, in
    a column on a desktop): rendered once here, with its dozens of links and labels."""
    context["outline"] = render_to_string("lessons/outline.html", context)
    return render(request, "lessons/lesson_detail.html", context, status=status)


def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """The lesson page; a locked lesson (progress.prerequisites) shows what unlocks it
    instead of its text, with a 403."""
    lesson = _published_lesson(request, course_slug, lesson_slug)
    course_state = learner_course(request.user, lesson.course)
    lessons = course_state.lessons
    index = next((i for i, item in enumerate(lessons) if item.pk == lesson.pk), None)
    if index is None:  # retired while this request ran (progress.structure)
        raise Http404("No such lesson.")
    current = lessons[index]
    locks = page_locks(request.user, lesson.course, lessons, course_state.completion is not None)
    lock = locks.of(current)
    show_in_language([lesson.course, *_named_courses(lock)], lessons, full=[lesson])
    final = course_state.final
    return _lesson_page(
        request,
        {
            "lock": lock,
            "course": lesson.course,
            "lesson": lesson,
            "current": current,
            "state": current.state,
            "number": index + 1,
            "lessons": lessons,
            "previous_lesson": lessons[index - 1] if index > 0 else None,
            "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
            "final": final,
            "progress": progress_from_lessons(lessons, final, course_state.completion),
            # Not started: the page's script records the start by a POST once it has
            # loaded (the GET writes nothing); without JavaScript, the first completion.
            "start_url": reverse("lessons:start", args=[course_slug, lesson_slug])
            if current.state == ProgressState.NOT_STARTED and lock is None
            else "",
            "started": ProgressState.IN_PROGRESS,  # what the script shows once recorded
        },
        status=403 if lock else 200,
    )


def _named_courses(lock: Lock | None) -> list[Course]:
    return lock.courses if lock is not None else []


def _refused(request: HttpRequest, course: Course, lesson: Lesson | None = None) -> bool:
    """Whether the course, or this lesson of it, is locked for the learner (a POST then
    records nothing): if so, the message saying why is added for the next page."""
    lock = lock_of(request.user, course, lesson)
    if lock is not None:
        messages.error(request, lock.message)
    return lock is not None


@require_POST
def start(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """The lesson page's script, once the page has loaded: record that the learner
    opened the lesson (lessons.services.start_lesson; again, it changes nothing).
    204; 404 for a lesson the learner may not see."""
    lesson = _published_lesson(request, course_slug, lesson_slug)
    if (lock := lock_of(request.user, lesson.course, lesson)) is not None:
        return HttpResponse(lock.message, status=403, content_type="text/plain; charset=utf-8")
    try:
        start_lesson(request.user, lesson)
    except LessonError as exc:  # retired since it was read
        raise Http404(str(exc)) from exc
    return HttpResponse(status=204)


@post_only(
    _published_lesson,
    gettext_lazy(
        "You were signed out before the lesson was marked complete. Mark it complete again."
    ),
)
def mark_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _published_lesson(request, course_slug, lesson_slug)
    if _refused(request, lesson.course, lesson):
        return redirect(lesson)
    try:
        complete_lesson(request.user, lesson)
    except LessonError as exc:
        messages.error(request, str(exc))
        return redirect(lesson)
    return redirect(next_step_after(request, lesson))


def next_step_after(request: HttpRequest, lesson: Lesson) -> str:
    """Where a learner goes after finishing a lesson: the next lesson, the final
    assessment, "Course complete", or back to the first unfinished lesson."""
    course = lesson.course
    course_state = learner_course(request.user, course)
    lessons, final, progress = course_state.lessons, course_state.final, course_state.progress
    if progress.state == ProgressState.COMPLETED and not course_state.new_lessons:
        return reverse("courses:complete", args=[course.slug])
    later = [item for item in lessons if item.position > lesson.position]
    if later:
        return reverse("lessons:detail", args=[course.slug, later[0].slug])
    if progress.awaiting_final:
        return final.get_absolute_url()
    _say_lessons_left(request, progress)
    return reverse("courses:continue", args=[course.slug])


def preview_lesson(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """A lesson, draft or not, as a learner would see it; records nothing. Content
    staff only: trainers see lessons as learners do."""
    if not may_preview_content(request.user):
        raise Http404("No such page.")
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    lessons = list(
        Lesson.objects.filter(course=lesson.course, retired_at__isnull=True)
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    )
    if lesson.pk not in {item.pk for item in lessons}:
        lessons.append(lesson)
    as_new_learner(lessons)
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    return _lesson_page(
        request,
        {
            "preview": True,
            "course": lesson.course,
            "lesson": lesson,
            "current": lessons[index],
            "state": ProgressState.NOT_STARTED,
            "number": index + 1,
            "lessons": lessons,
            "previous_lesson": None,
            "next_lesson": None,
            "final": None,
            "progress": progress_from_lessons(lessons),
        },
    )


# Quizzes: the quiz page and an attempt's result -----------------------------------


def _published_quiz(request: HttpRequest, quiz_id: int) -> Quiz:
    visible = Course.objects.visible_to(request.user)
    quiz = get_object_or_404(
        Quiz.objects.published()
        .filter(Q(course__in=visible) | Q(lesson__course__in=visible))
        .select_related("lesson__course", "course"),
        pk=quiz_id,
    )
    if quiz.lesson_id and not quiz.lesson.is_published:
        raise Http404(_("This quiz is no longer available."))
    return quiz


# Open to anonymous requests only so that a submit arriving after the session ended
# keeps its answers; a GET still goes to the login page, as everywhere else.
@login_not_required
def take_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """The quiz page. Its GET records nothing: with no attempt open it shows the quiz
    and a Start button (``quizzes:start``), with one open its questions, and once a
    timed attempt's time is up a button that grades it (``quizzes:close``)."""
    if not request.user.is_authenticated:
        if request.method == "POST":
            return _save_signed_out(request, quiz_id)
        return redirect_to_login(request.get_full_path())
    quiz = _published_quiz(request, quiz_id)
    if request.method == "POST":
        if _refused(request, quiz.owning_course, quiz.lesson):
            return redirect(quiz)
        return _submit(request, quiz)
    if (lock := lock_of(request.user, quiz.owning_course, quiz.lesson)) is not None:
        return _render_quiz(request, quiz, quiz_status(request.user, quiz), lock=lock)
    status = quiz_status(request.user, quiz)
    try:
        check_quiz_open(request.user, quiz)
    except QuizLocked as exc:
        return _render_quiz(request, quiz, status, locked=str(exc))
    attempt = attempt_in_progress(request.user, quiz)
    if attempt is not None and time_is_up(attempt, timezone.now()):
        return _render_quiz(request, quiz, status, expired=attempt)
    return _render_quiz(request, quiz, status, attempt=attempt)


@require_POST
def start_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """The quiz page's Start button: open the learner's attempt (open_attempt: a
    second click finds the one already open), then show it on the quiz page, which
    also says why when none can be opened (locked, or no attempts left)."""
    quiz = _published_quiz(request, quiz_id)
    if _refused(request, quiz.owning_course, quiz.lesson):
        return redirect(quiz)
    with suppress(QuizLocked):  # the quiz page says why
        open_attempt(request.user, quiz, quiz_status(request.user, quiz).used)
    return redirect(quiz)


@require_POST
def close_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """The quiz page's button once a timed attempt's time is up: grade the answers
    saved by the deadline (close_expired_quiz) and show the result."""
    quiz = _published_quiz(request, quiz_id)
    if _refused(request, quiz.owning_course, quiz.lesson):
        return redirect(quiz)
    attempt = attempt_in_progress(request.user, quiz)
    if attempt is None:  # graded already (another tab): the quiz page shows the state
        return redirect(quiz)
    try:
        check_quiz_open(request.user, quiz)
        graded = close_expired_quiz(request.user, quiz, attempt)
    except QuizLocked:
        return redirect(quiz)  # the quiz page says why
    except AttemptClosed as exc:  # graded by another request meanwhile
        return redirect(exc.attempt or quiz)
    if graded is None:  # time is not up: back to the questions
        return redirect(quiz)
    messages.info(request, _("Time is up: the answers saved by the deadline were graded."))
    return redirect(graded)


def _render_quiz(
    request, quiz, status, *, attempt=None, locked="", missing=None, expired=None, lock=None
):
    """The quiz page; ``lock`` (progress.prerequisites): its lesson or course is locked,
    shown with a 403 instead of the quiz."""
    questions = questions_for(quiz, attempt) if attempt else []
    # What the learner had answered: the sheet just posted when something was left
    # blank, otherwise the answers saved as they went (or when their session ended).
    given = missing.given if missing else drafts.answers_to_show(questions, attempt)
    for question in questions:
        question.given = given.get(question.pk)
        question.unanswered = bool(missing) and question.pk in missing.unanswered
    texts = show_in_language(
        [quiz.owning_course, *_named_courses(lock)],
        lock.lessons if lock else [],
        full=[quiz.lesson or quiz.course],
    )
    localise_questions(questions, texts.quiz_texts(quiz), texts.language)
    return render(
        request,
        "quizzes/take.html",
        {
            "quiz": quiz,
            "course": quiz.owning_course,
            "status": status,
            "attempts_used": quiz.attempts_label(status.used),
            "attempt": attempt,
            "time_left": time_left(attempt, timezone.now()),
            "questions": questions,
            "locked": locked,
            "lock": lock,
            "expired": expired,
            "can_start": quiz.has_attempts_left(status.used),
            "next_number": status.used + 1,
            "draft_token": drafts.sign_attempt(attempt) if attempt else "",
        },
        status=403 if lock else 200,
    )


def _save_signed_out(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """A quiz posted after the session ended: keep the answers (never grade them),
    then sign in and come back to the quiz to submit them."""
    try:
        drafts.save_signed_out(
            request.POST.get(drafts.TOKEN_FIELD, ""), quiz_id, answer_sheet(request.POST)
        )
    except DraftRefused:
        pass  # nothing shows whose answers these are: keep nothing
    else:
        messages.info(
            request, _("You were signed out. Your answers are saved: sign in to submit them.")
        )
    return redirect_to_login(reverse("quizzes:take", args=[quiz_id]))


def _submit(request: HttpRequest, quiz: Quiz) -> HttpResponse:
    attempt_id = parse_id(request.POST.get("attempt", ""), "attempt")  # else a 400
    try:
        attempt = submit_quiz(request.user, quiz, attempt_id, answer_sheet(request.POST))
    except TamperedAnswers as exc:
        raise BadRequest(str(exc)) from exc
    except AttemptClosed as exc:
        messages.warning(request, str(exc))
        return redirect(exc.attempt or quiz)
    except MissingAnswers as exc:
        messages.error(request, str(exc))
        attempt = Attempt.objects.get(pk=attempt_id, learner=request.user)
        return _render_quiz(
            request, quiz, quiz_status(request.user, quiz), attempt=attempt, missing=exc
        )
    return redirect(attempt)


def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(
        # An earlier run's attempts stay readable (they are the learner's record).
        Attempt.all_runs.select_related("quiz__lesson__course", "quiz__course"),
        pk=attempt_id,
        learner=request.user,
    )
    if not attempt.is_submitted:
        return redirect(attempt.quiz)
    quiz = attempt.quiz
    course = quiz.owning_course
    status = quiz_status(request.user, quiz)
    reveal = answers_visible(quiz, attempt, status)
    course_state = learner_course(request.user, course)
    lessons, final = course_state.lessons, course_state.final
    texts = show_in_language([course], lessons, full=[quiz.lesson or course])
    next_lesson = None
    if quiz.lesson_id:
        after = [lesson for lesson in lessons if lesson.position > quiz.lesson.position]
        next_lesson = after[0] if after else None
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "course": course,
            "status": status,
            "attempts_used": quiz.attempts_label(status.used),
            "attempts_left": quiz.attempts_left_label(status.used),
            "can_retry": quiz.has_attempts_left(status.used) and quiz.retired_at is None,
            "reveal": reveal,
            "items": localise_review(
                review_attempt(attempt, reveal), texts.quiz_texts(quiz), texts.language
            ),
            "next_lesson": next_lesson,
            "final": final,
            "progress": course_state.progress,
        },
    )


def _say_lessons_left(request: HttpRequest, progress: CourseProgress) -> None:
    """The one message for a course not finished yet: how many lessons are left."""
    messages.info(
        request,
        ngettext(
            "You have %(remaining)s of %(total)s lesson still to finish.",
            "You have %(remaining)s of %(total)s lessons still to finish.",
            progress.total,
        )
        % {"remaining": progress.remaining, "total": progress.total},
    )
