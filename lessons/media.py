"""Links to a course's media in its rendered texts.

Markdown is rendered when a text is saved, and its ``media/...`` references point at
the media's served addresses with their current versions (courses.markdown.link_media).
After media were added, changed or removed, :func:`relink_media` renders again every
text of the course that names them: here, in the lowest app that sees both courses'
and lessons' texts."""

from courses.models import Course, CourseTranslation
from lessons.models import Lesson, LessonTranslation


def relink_media(course: Course) -> None:
    """Render the introduction and the lessons that name media again, so their links
    carry the media's current versions (after media were added, changed or removed)."""
    course.save(update_fields=["introduction_html"])
    for lesson in Lesson.objects.filter(course=course, body_markdown__contains="media/"):
        lesson.course = course
        lesson.save(update_fields=["body_html"])
    for translation in CourseTranslation.objects.filter(course=course):
        translation.course = course
        translation.save(update_fields=["introduction_html"])
    lesson_translations = LessonTranslation.objects.filter(
        lesson__course=course, body_markdown__contains="media/"
    ).select_related("lesson")
    for lesson_translation in lesson_translations:
        lesson_translation.lesson.course = course
        lesson_translation.save(update_fields=["body_html"])
