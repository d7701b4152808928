"""Small factories: plain functions that build valid objects with sensible defaults."""

from itertools import count

from django.contrib.auth import get_user_model

from courses.models import Course
from lessons.models import Lesson

_sequence = count(1)


def make_user(username: str | None = None, password: str = "pw", **fields):
    username = username or f"user{next(_sequence)}"
    fields.setdefault("email", f"{username}@example.com")
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_course(lessons: int = 3, slug: str | None = None, title: str | None = None) -> Course:
    n = next(_sequence)
    course = Course.objects.create(
        slug=slug or f"course-{n}",
        title=title or f"Course {n}",
        description="A course for tests.",
        introduction_markdown="Welcome to the course.",
    )
    for position in range(1, lessons + 1):
        make_lesson(course, position)
    return course


def make_lesson(course: Course, position: int, **fields) -> Lesson:
    fields.setdefault("slug", f"lesson-{position}")
    fields.setdefault("title", f"Lesson title {position}")
    fields.setdefault("body_markdown", f"## Part {position}\n\nSome text.")
    return Lesson.objects.create(course=course, position=position, **fields)
