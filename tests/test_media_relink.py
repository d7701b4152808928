"""After a course's media change, every text that names them is rendered again
(lessons.media.relink_media): the introduction, the lessons and both kinds of
translation link the media's current versions."""

import pytest

from courses.models import CourseTranslation, MediaFile
from lessons.media import relink_media
from lessons.models import LessonTranslation
from tests.factories import make_course, make_lesson

pytestmark = pytest.mark.django_db

TEXT = "See [the checklist](media/checklist.pdf)."


def _media(course, content_hash: str) -> MediaFile:
    return MediaFile.objects.create(
        course=course,
        path="media/checklist.pdf",
        file=f"course-media/{course.pk}/checklist.pdf",
        content_type="application/pdf",
        size=10,
        content_hash=content_hash,
    )


@pytest.fixture
def course():
    course = make_course(lessons=0, slug="tills")
    course.introduction_markdown = TEXT
    course.save()
    lesson = make_lesson(course, 1, body_markdown=TEXT)
    make_lesson(course, 2, body_markdown="No media here.")
    CourseTranslation.objects.create(course=course, language="de", introduction_markdown=TEXT)
    LessonTranslation.objects.create(lesson=lesson, language="de", body_markdown=TEXT)
    return course


def _versioned(version: str) -> str:
    return f'href="/courses/tills/media/checklist.pdf?v={version}"'


def test_texts_saved_before_their_media_link_them_after_a_relink(course):
    _media(course, "a" * 64)
    relink_media(course)
    course.refresh_from_db()
    assert _versioned("a" * 16) in course.introduction_html
    assert _versioned("a" * 16) in course.lessons.get(position=1).body_html
    assert _versioned("a" * 16) in CourseTranslation.objects.get().introduction_html
    assert _versioned("a" * 16) in LessonTranslation.objects.get().body_html


def test_a_changed_file_is_linked_at_its_new_version(course):
    media = _media(course, "a" * 64)
    relink_media(course)
    media.content_hash = "b" * 64
    media.save()
    relink_media(course)
    for html in (
        course.lessons.get(position=1).body_html,
        CourseTranslation.objects.get().introduction_html,
        LessonTranslation.objects.get().body_html,
    ):
        assert _versioned("b" * 16) in html and _versioned("a" * 16) not in html


def test_a_lesson_that_names_no_media_is_not_saved_again(course):
    untouched = course.lessons.get(position=2)
    _media(course, "a" * 64)
    relink_media(course)
    assert course.lessons.get(position=2).updated_at == untouched.updated_at


def test_an_upload_on_the_course_admin_page_relinks_the_texts(
    admin_client, course, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_media_storage import change_page_data, pdf

    settings.MEDIA_ROOT = tmp_path
    url = f"/admin/courses/course/{course.pk}/change/"
    data = change_page_data(admin_client.get(url))
    data.update(
        {
            "media_files-TOTAL_FORMS": "1",
            "media_files-0-course": str(course.pk),
            "media_files-0-path": "media/checklist.pdf",
            "media_files-0-upload": SimpleUploadedFile("checklist.pdf", pdf(1000, 3)),
        }
    )
    assert admin_client.post(url, data).status_code == 302
    version = MediaFile.objects.get().version
    assert _versioned(version) in course.lessons.get(position=1).body_html
    assert _versioned(version) in LessonTranslation.objects.get().body_html
    assert _versioned(version) in CourseTranslation.objects.get().introduction_html
