"""Lesson media: images and documents beside the lessons (content/<course>/media/) or
uploaded in the admin; checked, stored, served to those who may see the course, and
exported back."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from authoring.export import export_course
from authoring.importing import ImportConflict, import_content
from courses.admin import MediaFileForm
from courses.content_errors import ContentInvalid
from courses.models import Course, MediaFile, Visibility
from courses.roles import ensure_content_editors_group
from lessons.models import Lesson
from tests.factories import make_user


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-root")
    return settings.MEDIA_ROOT


def png(width: int = 40, height: int = 20, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

LESSON = """---
title: Receipts
---
A receipt looks like this:

![A till receipt](media/receipt.png)

Print [the checklist (PDF)](media/checklist.pdf) before you start.
"""


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def make_content(root: Path, lesson: str = LESSON, **media: bytes) -> Path:
    """content/tills/ with one lesson and media/<name> for each keyword (dots as _)."""
    folder = root / "tills"
    write(folder / "course.md", "---\ntitle: Tills\n---\nAbout tills.\n")
    write(folder / "01-receipts.md", lesson)
    files = media or {"receipt.png": png(), "checklist.pdf": PDF}
    for name, data in files.items():
        write(folder / "media" / name, data)
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    return [str(error) for error in caught.value.errors]


# --- Import ------------------------------------------------------------------------


def test_import_stores_images_and_documents_with_their_types(db, tmp_path):
    import_content(make_content(tmp_path))
    image = MediaFile.objects.get(path="media/receipt.png")
    document = MediaFile.objects.get(path="media/checklist.pdf")
    assert (image.content_type, image.width, image.height) == ("image/png", 40, 20)
    assert (document.content_type, document.size, document.width) == (
        "application/pdf",
        len(PDF),
        None,
    )
    assert image.file.read() == png()


def test_lesson_html_points_at_the_served_versioned_media(db, tmp_path):
    import_content(make_content(tmp_path))
    image = MediaFile.objects.get(path="media/receipt.png")
    html = Lesson.objects.get(slug="receipts").body_html
    assert f'src="/courses/tills/media/receipt.png?v={image.content_hash[:16]}"' in html
    assert 'href="/courses/tills/media/checklist.pdf?v=' in html


def test_reimporting_unchanged_media_writes_nothing(db, tmp_path):
    root = make_content(tmp_path)
    import_content(root)
    before = list(MediaFile.objects.values())
    (report,) = import_content(root)
    assert not report.changed and report.media_changes == []
    assert list(MediaFile.objects.values()) == before


def test_a_changed_image_is_replaced_and_the_lesson_links_the_new_version(
    db, tmp_path, media_root, django_capture_on_commit_callbacks
):
    root = make_content(tmp_path)
    import_content(root)
    old = MediaFile.objects.get(path="media/receipt.png")
    write(root / "tills" / "media" / "receipt.png", png(colour="blue"))
    with django_capture_on_commit_callbacks(execute=True):
        (report,) = import_content(root)
    new = MediaFile.objects.get(path="media/receipt.png")
    assert report.media_changes == ["media/receipt.png replaced"]
    assert new.content_hash != old.content_hash
    assert new.version in Lesson.objects.get(slug="receipts").body_html
    assert not (media_root / old.file.name).exists()  # the old stored file is gone


def test_a_media_file_gone_from_the_files_is_deleted(db, tmp_path):
    root = make_content(tmp_path)
    import_content(root)
    write(root / "tills" / "01-receipts.md", "---\ntitle: Receipts\n---\nNo pictures.\n")
    (root / "tills" / "media" / "receipt.png").unlink()
    (root / "tills" / "media" / "checklist.pdf").unlink()
    (report,) = import_content(root)
    assert sorted(report.media_changes) == [
        "media/checklist.pdf removed",
        "media/receipt.png removed",
    ]
    assert not MediaFile.objects.exists()


def test_an_image_without_alt_text_is_an_error_at_its_line(db, tmp_path):
    lesson = "---\ntitle: Receipts\n---\nText.\n\n![](media/receipt.png)\n"
    root = make_content(tmp_path, lesson, **{"receipt.png": png()})
    (error,) = errors_of(root)
    assert error.startswith(
        f"{root}/tills/01-receipts.md:6: the image media/receipt.png has no alt"
    )
    assert not Course.objects.exists()


def test_a_missing_media_file_is_an_error_naming_the_lesson_and_line(db, tmp_path):
    lesson = LESSON + "\nAnd ![the back](media/back.png).\n"
    root = make_content(tmp_path, lesson)
    (error,) = errors_of(root)
    assert error == (
        f"{root}/tills/01-receipts.md:10: media/back.png is not in the course's media folder "
        "(add the file as tills/media/back.png)"
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "media/../../../../etc/passwd",
            "media/../../../../etc/passwd leaves the course folder: "
            "media paths must stay inside it",
        ),
        (
            "media/../course.md",
            "media/../course.md leaves the media folder: media paths must stay inside it",
        ),
        (
            "media/old/../receipt.png",
            "media/old/../receipt.png goes up a folder ('..'): write it as media/receipt.png",
        ),
    ],
)
def test_a_media_path_that_goes_up_is_an_error_naming_it_as_written(db, tmp_path, target, message):
    lesson = LESSON + f"\nAnd ![a]({target}).\n"
    root = make_content(tmp_path, lesson)
    (error,) = errors_of(root)
    assert error == f"{root}/tills/01-receipts.md:10: {message}"
    assert not Course.objects.exists()


def test_one_bad_image_means_nothing_is_imported_and_the_file_is_named(db, tmp_path):
    root = make_content(tmp_path, **{"receipt.png": b"not a picture", "checklist.pdf": PDF})
    (error,) = errors_of(root)
    assert error == (
        f"{root}/tills/media/receipt.png: the file is not a PNG image "
        "(its content does not match its extension)"
    )
    assert not Course.objects.exists() and not MediaFile.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("drawing.svg", b"<svg onload='alert(1)'/>", "SVG is not accepted (it can carry script)"),
        ("setup.exe", b"MZ", "'.exe' files are not accepted (allowed: PNG, JPEG, GIF, WebP"),
        ("photo.jpg", png(), "the file is not a JPEG image"),
        ("notes.pdf", b"hello", "the file is not a PDF document"),
        ("my receipt.png", png(), "their names hold only letters, digits"),
    ],
)
def test_files_of_the_wrong_type_or_name_are_refused(db, tmp_path, name, data, message):
    lesson = "---\ntitle: Receipts\n---\nNothing shown.\n"
    root = make_content(tmp_path, lesson, **{name: data})
    (error,) = errors_of(root)
    assert error.startswith(f"{root}/tills/media/{name}: ") and message in error


def test_a_file_over_the_size_limit_is_refused_with_the_limit(db, tmp_path, settings):
    settings.LESSON_MEDIA_MAX_BYTES = 1024 * 1024
    lesson = "---\ntitle: Receipts\n---\nSee [it](media/big.pdf).\n"
    root = make_content(tmp_path, lesson, **{"big.pdf": PDF + b"0" * (1024 * 1024)})
    (error,) = errors_of(root)
    assert (
        error
        == f"{root}/tills/media/big.pdf: cannot read the file: it is larger than 1 MiB (the limit)"
    )


def test_a_wide_image_is_scaled_down_on_import(db, tmp_path, settings):
    settings.LESSON_IMAGE_MAX_WIDTH = 100
    root = make_content(tmp_path, **{"receipt.png": png(300, 150), "checklist.pdf": PDF})
    import_content(root)
    image = MediaFile.objects.get(path="media/receipt.png")
    assert (image.width, image.height) == (100, 50)
    assert Image.open(image.file).size == (100, 50)
    (report,) = import_content(root)  # scaling gives the same bytes again: unchanged
    assert report.media_changes == []


def test_a_link_out_of_the_media_folder_is_refused(db, tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(png())
    root = make_content(tmp_path / "content", **{"checklist.pdf": PDF})
    (root / "tills" / "media" / "receipt.png").symlink_to(outside)
    errors = errors_of(root)
    assert any("outside the content folder" in error for error in errors)


def test_a_media_folder_linked_out_of_the_content_folder_is_refused(db, tmp_path):
    outside = tmp_path / "elsewhere"
    write(outside / "receipt.png", png())
    root = tmp_path / "content"
    make_content(root, "---\ntitle: Receipts\n---\nPlain.\n", **{"x.pdf": PDF})
    (root / "tills" / "media" / "x.pdf").unlink()
    (root / "tills" / "media").rmdir()
    (root / "tills" / "media").symlink_to(outside)
    (error,) = errors_of(root)
    assert "outside the content folder" in error


def test_media_edited_in_the_admin_and_in_the_files_is_a_conflict(db, tmp_path):
    root = make_content(tmp_path)
    import_content(root)
    course = Course.objects.get(slug="tills")
    upload(
        course, "", png(colour="green"), instance=MediaFile.objects.get(path="media/receipt.png")
    )
    write(root / "tills" / "media" / "receipt.png", png(colour="blue"))
    with pytest.raises(ImportConflict, match="tills, course: changed in the files"):
        import_content(root)


def test_a_course_without_media_keeps_its_recorded_hash(db, tmp_path):
    root = make_content(tmp_path, "---\ntitle: Receipts\n---\nPlain.\n", **{"x.pdf": PDF})
    (root / "tills" / "media" / "x.pdf").unlink()
    os.rmdir(root / "tills" / "media")
    import_content(root)
    (report,) = import_content(root)
    assert not report.changed


# --- Admin -------------------------------------------------------------------------


def upload(course, path: str, data: bytes, name: str = "receipt.png", instance=None):
    form = MediaFileForm(
        data={"path": path},
        files={"upload": SimpleUploadedFile(name, data)},
        instance=instance or MediaFile(course=course),
    )
    assert form.is_valid(), form.errors
    return form.save()


def test_an_upload_in_the_admin_is_stored_at_media_slash_its_name(db, course, settings):
    settings.LESSON_IMAGE_MAX_WIDTH = 100
    form = MediaFileForm(
        data={"path": ""},
        files={"upload": SimpleUploadedFile("till.png", png(400, 100))},
        instance=MediaFile(course=course),
    )
    assert form.is_valid(), form.errors
    media = form.save()
    assert (media.path, media.content_type, media.width, media.height) == (
        "media/till.png",
        "image/png",
        100,
        25,
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.svg", b"<svg/>", "SVG is not accepted"),
        ("x.png", b"text", "not a PNG image"),
        ("x.html", b"<script>", "files are not accepted"),
    ],
)
def test_the_admin_refuses_what_the_importer_refuses(db, course, name, data, message):
    form = MediaFileForm(
        data={"path": ""},
        files={"upload": SimpleUploadedFile(name, data)},
        instance=MediaFile(course=course),
    )
    assert not form.is_valid()
    assert message in form.errors["upload"][0]


def test_the_admin_refuses_an_upload_over_the_limit(db, course, settings):
    settings.LESSON_MEDIA_MAX_BYTES = 1024
    form = MediaFileForm(
        data={"path": ""},
        files={"upload": SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)},
        instance=MediaFile(course=course),
    )
    assert not form.is_valid()
    assert "the limit is 0.000976562 MiB" in form.errors["upload"][0]


def test_the_admin_refuses_a_second_file_at_the_same_path(db, course):
    upload(course, "media/receipt.png", png())
    form = MediaFileForm(
        data={"path": ""},
        files={"upload": SimpleUploadedFile("receipt.png", png())},
        instance=MediaFile(course=course),
    )
    assert not form.is_valid()
    assert "already a file of this course" in form.errors["path"][0]


def test_the_admin_refuses_a_path_outside_media(db, course):
    form = MediaFileForm(
        data={"path": "../settings.py"},
        files={"upload": SimpleUploadedFile("x.png", png())},
        instance=MediaFile(course=course),
    )
    assert not form.is_valid() and "path" in form.errors


def test_the_course_admin_page_shows_the_media_inline(admin_client, course):
    upload(course, "media/receipt.png", png())
    response = admin_client.get(f"/admin/courses/course/{course.pk}/change/")
    assert response.status_code == 200
    assert b"media/receipt.png" in response.content


def test_a_lesson_saved_later_still_links_its_media(db, course):
    media = upload(course, "media/receipt.png", png())
    lesson = course.lessons.first()
    lesson.body_markdown = "![A till receipt](media/receipt.png)"
    lesson.save()
    assert f'src="{media.url}"' in lesson.body_html


# --- Serving -----------------------------------------------------------------------


@pytest.fixture
def served(db, tmp_path):
    """The tills course, assigned-only, with an image and a PDF."""
    import_content(make_content(tmp_path))
    course = Course.objects.get(slug="tills")
    course.visibility = Visibility.ASSIGNED
    course.save()
    return course


IMAGE_URL = "/courses/tills/media/receipt.png"
PDF_URL = "/courses/tills/media/checklist.pdf"


def test_anonymous_visitors_are_sent_to_log_in(client, served):
    response = client.get(IMAGE_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_learner_who_may_not_see_the_course_gets_a_404(client, learner, served):
    client.force_login(learner)
    assert client.get(IMAGE_URL).status_code == 404


def test_a_learner_with_the_course_gets_the_image(client, learner, served, team):
    from training.models import Assignment

    Assignment.objects.create(course=served, learner=learner)
    client.force_login(learner)
    media = MediaFile.objects.get(path="media/receipt.png")
    response = client.get(f"{IMAGE_URL}?v={media.version}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == png()


def test_an_old_or_missing_version_is_not_cached_for_long(client, admin_user, served):
    client.force_login(admin_user)
    assert client.get(IMAGE_URL)["Cache-Control"] == "private, no-cache"
    assert client.get(f"{IMAGE_URL}?v=0000")["Cache-Control"] == "private, no-cache"


def test_a_document_is_downloaded_not_shown(client, admin_user, served):
    client.force_login(admin_user)
    response = client.get(PDF_URL)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="checklist.pdf"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_content_editor_sees_media_of_a_draft_course(client, served):
    editor = make_user("ed", is_staff=True)
    editor.groups.add(ensure_content_editors_group())
    served.published_at = None
    served.save()
    client.force_login(editor)
    assert client.get(IMAGE_URL).status_code == 200


def test_a_learner_never_sees_media_of_a_draft_course(client, learner, served):
    served.visibility = Visibility.OPEN
    served.published_at = None
    served.save()
    client.force_login(learner)
    assert client.get(IMAGE_URL).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/courses/tills/media/nothing.png",
        "/courses/tills/media/../course.md",
        "/courses/tills/media/",
        "/courses/other/media/receipt.png",
    ],
)
def test_anything_else_is_a_404(admin_client, served, url):
    assert admin_client.get(url).status_code == 404


def test_media_is_read_only(admin_client, served):
    assert admin_client.post(IMAGE_URL).status_code == 405


def test_serving_media_takes_a_few_queries(client, learner, served, django_assert_max_num_queries):
    served.visibility = Visibility.OPEN
    served.save()
    client.force_login(learner)
    with django_assert_max_num_queries(4):
        assert client.get(IMAGE_URL).status_code == 200


# --- Export ------------------------------------------------------------------------


def test_export_writes_the_media_back_and_reimports_unchanged(db, tmp_path, settings):
    settings.LESSON_IMAGE_MAX_WIDTH = 100
    root = make_content(tmp_path / "in", **{"receipt.png": png(300, 150), "checklist.pdf": PDF})
    import_content(root)
    course = Course.objects.get(slug="tills")
    out = tmp_path / "out"
    write(out / "tills" / "media" / "stale.png", png())  # from an earlier export
    written = export_course(course, out)
    media = out / "tills" / "media"
    assert {media / "receipt.png", media / "checklist.pdf"} <= set(written)
    assert sorted(path.name for path in media.iterdir()) == ["checklist.pdf", "receipt.png"]
    assert Image.open(media / "receipt.png").size == (100, 50)
    assert (media / "checklist.pdf").read_bytes() == PDF
    (report,) = import_content(out)
    assert not report.changed
