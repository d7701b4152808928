"""Reading and validating the Markdown content format (no database)."""

from pathlib import Path

import pytest
from django.conf import settings

from authoring.content_files import ContentInvalid, read_content

COURSE_MD = "---\ntitle: Demo course\ndescription: Short.\n---\nWelcome.\n"


def lesson_md(title: str = "A lesson", extra: str = "", body: str = "Body text.\n") -> str:
    return f"---\ntitle: {title}\n{extra}---\n{body}"


def write_course(root: Path, files: dict[str, str | bytes], slug: str = "demo") -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def errors_for(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        read_content(root)
    return [str(error) for error in caught.value.errors]


def test_sample_course_is_valid_with_seven_lessons_in_order():
    (course,) = read_content(settings.CONTENT_DIR / "who-is-your-customer")
    assert course.slug == "who-is-your-customer"
    assert course.title == "Who is your customer?"
    assert [lesson.number for lesson in course.lessons] == list(range(1, 8))


def test_sample_lessons_are_300_to_700_words_with_summary_and_prompt():
    (course,) = read_content(settings.CONTENT_DIR / "who-is-your-customer")
    for lesson in course.lessons:
        assert 300 <= len(lesson.body.split()) <= 700, lesson.path
        assert "## Summary" in lesson.body, lesson.path
        assert "## Try this at work" in lesson.body, lesson.path


def test_valid_course_reads_titles_minutes_and_bodies(tmp_path):
    write_course(
        tmp_path,
        {
            "course.md": COURSE_MD,
            "02-second.md": lesson_md("Second"),
            "01-first.md": lesson_md("First", "minutes: 5\n", "## Hello\n"),
        },
    )
    (course,) = read_content(tmp_path)
    assert (course.slug, course.title, course.description) == ("demo", "Demo course", "Short.")
    assert course.introduction == "Welcome.\n"
    assert [(les.slug, les.title, les.minutes) for les in course.lessons] == [
        ("first", "First", 5),
        ("second", "Second", None),
    ]
    assert course.lessons[0].body == "## Hello\n"


def test_a_single_course_folder_can_be_given(tmp_path):
    folder = write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_md()})
    assert [course.slug for course in read_content(folder)] == ["demo"]


def test_windows_line_endings_and_bom_are_accepted(tmp_path):
    text = "\ufeff---\r\ntitle: Crlf\r\n---\r\nBody\r\n"
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": text})
    (course,) = read_content(tmp_path)
    assert course.lessons[0].title == "Crlf"


def test_non_utf8_file_is_named_with_its_line(tmp_path):
    bad = b"---\ntitle: Caf\n---\nline two\n" + b"caf\xe9\n"
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": bad})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:5: not valid UTF-8" in error


def test_unreadable_file_is_an_error(tmp_path):
    folder = write_course(tmp_path, {"course.md": COURSE_MD})
    (folder / "01-a.md").mkdir()  # a folder where a file should be: reading it fails
    (error,) = errors_for(tmp_path)
    assert "01-a.md: cannot read the file" in error


def test_missing_front_matter_is_an_error_on_line_1(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "# Just markdown\n"})
    (error,) = errors_for(tmp_path)
    assert error.endswith("01-a.md:1: missing front matter: the first line must be '---'")


def test_unclosed_front_matter_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "---\ntitle: A\nBody\n"})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:1: front matter is not closed" in error


def test_malformed_yaml_names_the_line(tmp_path):
    text = "---\ntitle: Fine\nminutes: [3\n---\nBody\n"
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": text})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:3: front matter is not valid YAML" in error


def test_front_matter_that_is_not_a_mapping_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "---\n- a\n- b\n---\nBody\n"})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:2: front matter must be 'key: value' lines" in error


def test_missing_title_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "---\nminutes: 3\n---\nBody\n"})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:1: front matter has no 'title'" in error


def test_empty_title_is_an_error_on_its_line(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "---\nminutes: 3\ntitle: ''\n---\n"})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:3: 'title' is empty" in error


def test_course_without_title_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": "---\ndescription: x\n---\n", "01-a.md": lesson_md()})
    (error,) = errors_for(tmp_path)
    assert "course.md:1: front matter has no 'title'" in error


def test_unknown_key_is_an_error_on_its_line(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_md(extra="minuts: 4\n")})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:3: unknown front matter key 'minuts'" in error


def test_minutes_must_be_a_positive_whole_number(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_md(extra="minutes: ten\n")})
    (error,) = errors_for(tmp_path)
    assert "01-a.md:3: 'minutes' must be a whole number" in error


def test_duplicate_slug_names_both_files(tmp_path):
    write_course(
        tmp_path, {"course.md": COURSE_MD, "01-intro.md": lesson_md(), "02-intro.md": lesson_md()}
    )
    (error,) = errors_for(tmp_path)
    assert "02-intro.md: lesson slug 'intro' is also used by 01-intro.md" in error


def test_duplicate_number_names_both_files(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_md(), "1-b.md": lesson_md()})
    (error,) = errors_for(tmp_path)
    assert "lesson number 1 is also used by 01-a.md" in error


def test_badly_named_lesson_file_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "Intro Lesson.md": lesson_md()})
    (error,) = errors_for(tmp_path)
    assert "Intro Lesson.md: lesson file names must look like 01-lesson-slug.md" in error


def test_empty_course_is_an_error(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD})
    (error,) = errors_for(tmp_path)
    assert "course.md: the course has no lessons" in error


def test_folder_without_course_md_is_an_error(tmp_path):
    write_course(tmp_path, {"01-a.md": lesson_md()})
    (error,) = errors_for(tmp_path)
    assert error.endswith("demo: missing course.md")


def test_every_problem_is_reported_at_once(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": "nope\n", "02-b.md": "---\n---\n"})
    write_course(tmp_path, {"course.md": "no front matter\n", "01-a.md": lesson_md()}, "other")
    errors = errors_for(tmp_path)
    assert len(errors) == 3
