"""Page benchmark: `make bench`.

Times each learner page in-process (Django test client, a fresh SQLite file or
DATABASE_URL) and prints its median time as a ratio to a baseline measured in
the same run: the anonymous login page, a plain template render with no course
data. Cases are interleaved round by round so that noise from a shared machine
hits every case alike. Ratios, not seconds, are the figures to compare.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_REQUEST_LOG_LEVEL", "WARNING")  # no JSON line per request here
_tmp = tempfile.TemporaryDirectory()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp.name}/bench.sqlite3")

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def build():
    from lessons.services import start_lesson
    from progress.services import complete_lesson
    from tests.factories import make_course, make_user

    learner = make_user("bench-learner")
    courses = {}
    for size in (7, 70):
        course = make_course(lessons=size, slug=f"bench-{size}-lessons")
        lessons = list(course.lessons.all())
        for lesson in lessons[: size // 2]:
            complete_lesson(learner, lesson)
        start_lesson(learner, lessons[size // 2])
        courses[size] = (course, lessons)
    for _ in range(8):
        make_course(lessons=7)
    return learner, courses


def build_quizzes(learner, courses):
    """A 5-question quiz with 1 attempt and a 50-question quiz with 10 attempts."""
    from progress.services import submit_quiz
    from quizzes.services import open_attempt, quiz_status
    from tests.factories import answer_sheet, as_post, make_quiz

    quizzes = {}
    for size, attempts, (_course, lessons) in ((5, 1, courses[7]), (50, 10, courses[70])):
        questions = [
            {
                "type": "single",
                "prompt": f"Question {n}?",
                "choices": [("Yes", True), ("No", False)],
            }
            for n in range(size)
        ]
        quiz = make_quiz(lesson=lessons[-1], questions=questions, max_attempts=0)
        for _ in range(attempts):
            attempt = open_attempt(learner, quiz, quiz_status(learner, quiz).used)
            sheet = as_post(answer_sheet(quiz, attempt, correct=size // 2))
            last = submit_quiz(learner, quiz, attempt.pk, sheet)
        open_attempt(learner, quiz, attempts)  # as Start does: the page shows the form
        quizzes[size] = (quiz, last)
    return quizzes


def build_team(courses, size: int):
    """A team of ``size`` on the 7-lesson course: a third done, a third started."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from lessons.models import LessonProgress
    from training.models import Assignment, Team

    course, lessons = courses[7]
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"member{n}", first_name=f"First{n}", last_name=f"Last{n % 97}")
        for n in range(size)
    )
    members = list(User.objects.filter(username__startswith="member"))
    team = Team.objects.create(name=f"Team of {size}")
    team.members.add(*members)
    Assignment.objects.create(course=course, team=team, due_date=timezone.localdate())
    now = timezone.now()
    rows = []
    for index, member in enumerate(members):
        for lesson in lessons[: (index % 3) * 3]:
            rows.append(
                LessonProgress(
                    learner=member,
                    lesson=lesson,
                    state="completed",
                    started_at=now,
                    completed_at=now,
                )
            )
    LessonProgress.objects.bulk_create(rows)
    return team, course


def build_quiz_history(team, quiz, attempts: int = 10):
    """Every member of ``team`` has ``attempts`` submitted attempts at ``quiz``, with an
    answer to each question (bulk-created: the analytics page reads them, nothing
    here goes through grading)."""
    from django.utils import timezone

    from quizzes.models import Answer, Attempt

    questions = list(quiz.questions.prefetch_related("choices"))
    now = timezone.now()
    members = list(team.members.order_by("pk").values_list("pk", flat=True))
    rows, marks = [], []
    for index, member in enumerate(members):
        for number in range(1, attempts + 1):
            # Learners get better with each attempt, some more than others.
            right = [(index + number + q) % 7 < 3 + number // 3 for q in range(len(questions))]
            score = sum(right)
            percent = score * 100 // len(questions)
            rows.append(
                Attempt(
                    learner_id=member,
                    quiz=quiz,
                    number=number,
                    submitted_at=now,
                    score=score,
                    max_score=len(questions),
                    percent=percent,
                    passed=percent >= quiz.pass_mark,
                )
            )
            marks.append(right)
    created = Attempt.objects.bulk_create(rows, batch_size=2000)
    answers = []
    for attempt, right in zip(created, marks, strict=True):
        for position, (question, correct) in enumerate(zip(questions, right, strict=True), 1):
            choice = next(c for c in question.choices.all() if c.is_correct == correct)
            answers.append(
                Answer(
                    attempt=attempt,
                    question=question,
                    position=position,
                    choice_ids=[choice.pk],
                    is_correct=correct,
                    prompt=question.prompt,
                    given=choice.text,
                    expected="Yes",
                )
            )
    Answer.objects.bulk_create(answers, batch_size=5000)


def build_certificate():
    """A certificate, issued the real way: another learner completes a small course."""
    from lessons.models import Certificate
    from progress.services import complete_lesson
    from tests.factories import make_course, make_user

    certified = make_user("bench-certified", first_name="Cerys", last_name="Certified")
    for lesson in make_course(lessons=3, slug="bench-certificate").lessons.all():
        complete_lesson(certified, lesson)
    return Certificate.objects.get(completion__learner=certified)


def build_search_library():
    """1,000 more lessons (40 courses of 25) with a few paragraphs each, through
    Lesson.save() so the search index is written as in the admin and the importer;
    one word in a tenth of them, so a search finds 100 and shows the best 50."""
    from tests.factories import make_course, make_lesson

    paragraph = (
        "A customer is anyone who depends on your work, inside or outside the company. "
        "Listen first, answer the question asked, and say what happens next. "
    )
    for number in range(40):
        course = make_course(lessons=0, slug=f"bench-search-{number}")
        for position in range(1, 26):
            special = "Escalation paths matter. " if position % 10 == 0 else ""
            make_lesson(
                course,
                position,
                title=f"Service topic {number}-{position}",
                body_markdown=f"## Part {position}\n\n" + (special + paragraph) * 6,
            )


def import_people_case(admin):
    """The admin's "Import people from CSV" with 3,000 new people in 30 teams: every
    run creates them all (users, teams, memberships, trainers, owed invitations) and
    is rolled back, so each round does the same work and sends no email."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    rows = ["username,email,first_name,last_name,team,trainer_of"] + [
        f"person{n},person{n}@example.com,First{n},Last{n},Team {n % 30},"
        + (f"Team {n % 30}" if n % 100 == 0 else "")
        for n in range(3000)
    ]
    data = ("\n".join(rows) + "\n").encode()
    url = reverse("admin:auth_user_import")

    def run():
        with transaction.atomic():
            response = admin.post(url, {"file": SimpleUploadedFile("people.csv", data)})
            transaction.set_rollback(True)
        assert response.status_code == 302, "the import was refused"  # 200: problems listed
        return response

    return run


def main() -> None:
    setup_test_environment()
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    learner, courses = build()
    quizzes = build_quizzes(learner, courses)
    team, team_course = build_team(courses, 2000)
    build_quiz_history(team, quizzes[5][0])
    anonymous, client = Client(), Client()
    client.force_login(learner)

    def get(c, url):
        return lambda: c.get(url)

    cases = {"baseline: login page (anonymous)": get(anonymous, reverse("login"))}
    cases["My learning, 10 courses"] = get(client, reverse("courses:my_learning"))
    for size, (course, lessons) in courses.items():
        cases[f"course page, {size} lessons"] = get(client, course.get_absolute_url())
        cases[f"lesson page, {size} lessons"] = get(client, lessons[size // 2].get_absolute_url())
    for size, (quiz, attempt) in quizzes.items():
        cases[f"quiz page, {size} questions"] = get(client, quiz.get_absolute_url())
        cases[f"quiz result, {size} questions"] = get(client, attempt.get_absolute_url())
    cases["My results, 11 attempts"] = get(client, reverse("quizzes:my_results"))
    build_search_library()
    cases["search, 1,000 lessons, 100 found"] = get(client, reverse("search") + "?q=escalation")
    cases["search, 1,000+ lessons, all found"] = get(client, reverse("search") + "?q=customer")
    admin = Client()
    from tests.factories import make_user

    admin.force_login(make_user("bench-admin", is_superuser=True, is_staff=True))
    team_query = f"?team={team.pk}&course={team_course.slug}"
    cases["dashboard, team of 2000, 7 lessons"] = get(
        admin, reverse("training:dashboard") + team_query
    )
    cases["dashboard sorted by progress, 2000"] = get(
        admin, reverse("training:dashboard") + team_query + "&sort=progress"
    )
    for scope in ("first", "all"):
        cases[f"analytics, 2000 x 10 attempts, {scope}"] = get(
            admin, reverse("training:analytics") + team_query + f"&attempts={scope}"
        )
    export_url = reverse("training:export") + team_query

    def export():
        response = admin.get(export_url)
        for _chunk in response.streaming_content:
            pass
        return response

    cases["CSV export, 2000 learners x 8 rows"] = export
    course, lessons = courses[7]
    complete_url = reverse("lessons:complete", args=[course.slug, lessons[0].slug])
    cases["mark complete (already done), 7 lessons"] = lambda: client.post(complete_url)
    cases["verify a certificate (anonymous)"] = get(
        anonymous, reverse("verify_certificate", args=[build_certificate().code])
    )
    cases["import 3,000 people (admin upload)"] = import_people_case(admin)

    queries = {}
    for name, run in cases.items():
        response = run()
        assert response.status_code in (200, 302), (name, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            response = run()
            for _chunk in getattr(response, "streaming_content", []):
                pass
        queries[name] = len(captured)

    timings = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)

    medians = {name: statistics.median(values) for name, values in timings.items()}
    baseline = medians[next(iter(cases))]
    print(f"{ROUNDS} rounds on {connection.vendor}; median time as a ratio to the baseline")
    # Milliseconds too, for two runs made one after the other (a change to the
    # baseline page moves every ratio); on a shared machine compare ratios first.
    print(f"{'case':<44} {'ratio':>6} {'queries':>8} {'ms':>8}")
    for name, median in medians.items():
        print(f"{name:<44} {median / baseline:>6.2f} {queries[name]:>8} {median * 1000:>8.2f}")


if __name__ == "__main__":
    main()
