"""Record a completion and a certificate for every learner who had already
completed a course before completions were recorded (every published lesson
completed and the final assessment, if any, passed)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from lessons.models import new_certificate_code

    Course = apps.get_model("courses", "Course")
    Lesson = apps.get_model("lessons", "Lesson")
    LessonProgress = apps.get_model("lessons", "LessonProgress")
    CourseCompletion = apps.get_model("lessons", "CourseCompletion")
    Certificate = apps.get_model("lessons", "Certificate")
    Quiz = apps.get_model("quizzes", "Quiz")
    Attempt = apps.get_model("quizzes", "Attempt")

    for course in Course.objects.filter(published_at__isnull=False):
        lessons = list(
            Lesson.objects.filter(
                course=course, published_at__isnull=False, retired_at__isnull=True
            ).order_by("position", "id")
        )
        if not lessons:
            continue
        final = Quiz.objects.filter(course=course, retired_at__isnull=True).first()
        done: dict[int, dict] = {}
        for row in LessonProgress.objects.filter(
            lesson__in=lessons, state="completed", archived_in__isnull=True
        ).values("learner_id", "lesson_id", "completed_at"):
            done.setdefault(row["learner_id"], {})[row["lesson_id"]] = row["completed_at"]
        for learner_id, dates in done.items():
            if len(dates) < len(lessons):
                continue
            if CourseCompletion.objects.filter(learner_id=learner_id, course=course).exists():
                continue
            completed_at = max(dates.values())
            attempt = None
            if final is not None:
                attempt = (
                    Attempt.objects.filter(learner_id=learner_id, quiz=final, passed=True)
                    .order_by("submitted_at", "id")
                    .first()
                )
                if attempt is None:
                    continue
                completed_at = max(completed_at, attempt.submitted_at)
            completion = CourseCompletion.objects.create(
                learner_id=learner_id,
                course=course,
                run=1,
                completed_at=completed_at,
                final_attempt=attempt,
                final_percent=attempt.percent if attempt else None,
                lessons=[
                    {
                        "id": lesson.pk,
                        "slug": lesson.slug,
                        "title": lesson.title,
                        "completed_at": dates[lesson.pk].isoformat(),
                    }
                    for lesson in lessons
                ],
            )
            learner = completion.learner
            name = f"{learner.first_name} {learner.last_name}".strip() or learner.username
            Certificate.objects.create(
                completion=completion,
                code=new_certificate_code(),
                learner_name=name,
                course_title=course.title,
                issued_at=completed_at,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0003_completions_certificates_runs"),
        ("quizzes", "0002_runs_saved_answers_imported_hash"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
