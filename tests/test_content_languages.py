"""Course content in a second language: course.<lang>.md and NN-slug.<lang>.md are
read, checked against their base files, imported, exported and protected like them."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from authoring.content_files import ContentInvalid, read_content
from authoring.export import export_course
from authoring.importing import ImportConflict, import_content
from courses.models import Course, CourseTranslation
from courses.translations import LocalisedSave, localise
from lessons.models import Lesson, LessonTranslation

pytestmark = pytest.mark.django_db

COURSE = """\
---
title: Customers
description: Who they are.
---
Welcome.
"""

COURSE_DE = """\
---
title: Kunden
description: Wer sie sind.
---
Willkommen.
"""

FIRST = """\
---
title: First lesson
minutes: 3
quiz:
  pass_mark: 50
  questions:
    - id: pick
      type: single
      prompt: "Pick the right one."
      explanation: "Because."
      choices:
        - {text: "Right", correct: true, feedback: "Yes."}
        - {text: "Wrong", correct: false}
    - id: word
      type: short
      prompt: "Say hello."
      accept: [hello]
---
The first lesson.
"""

FIRST_DE = """\
---
title: Erste Lektion
quiz:
  questions:
    - id: pick
      prompt: "Wähle die richtige."
      explanation: "Darum."
      choices:
        - {text: "Richtig", feedback: "Ja."}
        - {text: "Falsch"}
    - id: word
      prompt: "Sag hallo."
      accept: [hallo]
---
Die erste Lektion.
"""

SECOND = """\
---
title: Second lesson
---
The second lesson.
"""


def write_pack(root: Path, **extra: str) -> Path:
    folder = root / "customers"
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "course.md": COURSE,
        "course.de.md": COURSE_DE,
        "01-first.md": FIRST,
        "01-first.de.md": FIRST_DE,
        "02-second.md": SECOND,
        **extra,
    }
    for name, text in files.items():
        if text is None:
            (folder / name).unlink(missing_ok=True)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def pack(tmp_path) -> Path:
    return write_pack(tmp_path / "content")


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as raised:
        read_content(root)
    return [str(error) for error in raised.value.errors]


def one_error(root: Path) -> str:
    errors = errors_of(root)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_good_pack_reads_the_translations_with_their_base_files(pack):
    (course,) = read_content(pack)
    assert course.translations["de"].title == "Kunden"
    assert course.translations["de"].description == "Wer sie sind."
    first, second = course.lessons
    german = first.translations["de"]
    assert (german.title, german.body) == ("Erste Lektion", "Die erste Lektion.\n")
    assert german.quiz_texts["pick"]["choices"][0] == {"text": "Richtig", "feedback": "Ja."}
    assert german.quiz_texts["word"]["accept"] == ["hallo"]
    assert second.translations == {}


def test_import_stores_the_translations_rendered(pack):
    reports = import_content(pack)
    assert "translations: 2 changes" in reports[0].summary()
    course = Course.objects.get(slug="customers")
    german = CourseTranslation.objects.get(course=course, language="de")
    assert german.introduction_html == "<p>Willkommen.</p>"
    lesson = LessonTranslation.objects.get(lesson__slug="first", language="de")
    assert "<p>Die erste Lektion.</p>" in lesson.body_html
    assert lesson.quiz_texts["pick"]["prompt"] == "Wähle die richtige."


def test_an_unknown_language_is_an_error_naming_the_file(pack):
    write_pack(pack, **{"01-first.fr.md": FIRST_DE})
    error = one_error(pack)
    assert "customers/01-first.fr.md: unknown language 'fr' (translations may be in: de)" in error


def test_a_translation_in_the_default_language_is_an_error(pack):
    write_pack(pack, **{"01-first.en-gb.md": FIRST_DE})
    assert "'en-gb' is the default language" in one_error(pack)


def test_a_translation_without_its_lesson_is_an_error(pack):
    write_pack(pack, **{"03-third.de.md": FIRST_DE})
    assert "03-third.de.md: a translation without its lesson: there is no 03-third.md" in (
        one_error(pack)
    )


def test_a_setting_in_a_translation_is_an_error_at_its_line(pack):
    write_pack(pack, **{"01-first.de.md": FIRST_DE.replace("title: Erste Lektion", "minutes: 4")})
    error = one_error(pack)
    assert "01-first.de.md:2: 'minutes' is not allowed in a translation" in error
    assert "written in 01-first.md only" in error


def test_a_quiz_setting_in_a_translation_is_an_error_at_its_line(pack):
    text = FIRST_DE.replace("quiz:\n", "quiz:\n  pass_mark: 90\n")
    write_pack(pack, **{"01-first.de.md": text})
    assert "01-first.de.md:4: quiz: 'pass_mark' is not allowed in a translation" in one_error(pack)


def test_a_correct_flag_in_a_translated_choice_is_an_error(pack):
    text = FIRST_DE.replace('{text: "Falsch"}', '{text: "Falsch", correct: true}')
    write_pack(pack, **{"01-first.de.md": text})
    assert "01-first.de.md:10: quiz question 1, choice 2: 'correct' is not allowed" in (
        one_error(pack)
    )


def test_a_question_id_not_in_the_base_file_is_an_error_at_its_line(pack):
    write_pack(pack, **{"01-first.de.md": FIRST_DE.replace("id: word", "id: other")})
    error = one_error(pack)
    assert "01-first.de.md:11: quiz question 2: 'id' must name a question of 01-first.md" in error


def test_a_different_number_of_choices_is_an_error_at_its_line(pack):
    text = FIRST_DE.replace('        - {text: "Falsch"}\n', "")
    write_pack(pack, **{"01-first.de.md": text})
    error = one_error(pack)
    assert "01-first.de.md:8: quiz question 1: 1 choices, but the question has 2" in error


def test_an_image_without_alt_text_in_a_translation_is_an_error_at_its_line(pack):
    media = pack / "customers" / "media"
    media.mkdir()
    (media / "dot.txt").write_text("a dot")
    text = FIRST_DE + "\n![](media/missing.png)\n"
    write_pack(pack, **{"01-first.de.md": text})
    errors = errors_of(pack)
    assert any("01-first.de.md:17: the image" in error in error for error in errors), errors
    assert any("01-first.de.md:17: media/missing.png is not in" in error for error in errors)


def test_a_round_trip_changes_nothing(pack, tmp_path):
    import_content(pack)
    before = snapshot()
    out = tmp_path / "export"
    export_course(Course.objects.get(slug="customers"), out)
    assert (out / "customers" / "01-first.de.md").read_text().startswith("---\ntitle: Erste")
    assert (out / "customers" / "course.de.md").exists()
    report = import_content(out)[0]
    assert not report.changed, report.summary()
    assert snapshot() == before


def snapshot() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Course, CourseTranslation, Lesson, LessonTranslation)
    ]


def test_a_translation_gone_from_the_files_is_removed_and_reported(pack):
    import_content(pack)
    write_pack(pack, **{"01-first.de.md": None})
    report = import_content(pack)[0]
    assert report.translation_changes == ["lesson first (de): translation removed"]
    assert not LessonTranslation.objects.exists()
    assert CourseTranslation.objects.count() == 1


def test_a_changed_translation_is_imported(pack):
    import_content(pack)
    write_pack(pack, **{"01-first.de.md": FIRST_DE.replace("Erste Lektion", "Lektion eins")})
    report = import_content(pack)[0]
    assert report.translation_changes == ["lesson first (de): translation updated"]
    assert LessonTranslation.objects.get().title == "Lektion eins"


def _admin_edit(client, admin_user, translation: LessonTranslation, title: str) -> None:
    """Edit the German title on the lesson's admin page (its translations inline)."""
    from tests.test_import_conflicts import _Form

    client.force_login(admin_user)
    url = reverse("admin:lessons_lesson_change", args=[translation.lesson_id])
    form = _Form()
    form.feed(client.get(url).content.decode())
    field = next(name for name, value in form.data.items() if value == translation.title)
    response = client.post(url, {**form.data, field: title})
    assert response.status_code == 302, response.content.decode()


def test_an_admin_edit_of_a_translation_is_kept(pack, client, admin_user):
    import_content(pack)
    translation = LessonTranslation.objects.get()
    _admin_edit(client, admin_user, translation, "Erste Lektion (korrigiert)")
    report = import_content(pack)[0]
    assert any("kept the admin's edit of lesson first in de" in note for note in report.notes)
    assert LessonTranslation.objects.get().title == "Erste Lektion (korrigiert)"


def test_a_translation_changed_in_the_admin_and_the_files_is_a_conflict(pack, client, admin_user):
    import_content(pack)
    translation = LessonTranslation.objects.get()
    _admin_edit(client, admin_user, translation, "Erste Lektion (korrigiert)")
    write_pack(pack, **{"01-first.de.md": FIRST_DE.replace("Erste Lektion", "Lektion eins")})
    with pytest.raises(ImportConflict) as raised:
        import_content(pack)
    assert "customers, lesson first in de: changed in the files" in str(raised.value)
    assert LessonTranslation.objects.get().title == "Erste Lektion (korrigiert)"


def test_the_command_prints_the_translations_in_its_summary(pack):
    out = StringIO()
    call_command("import_content", str(pack), stdout=out)
    assert "translations: 2 changes" in out.getvalue()


def test_a_localised_object_cannot_be_saved(pack):
    import_content(pack)
    lesson = Lesson.objects.get(slug="first")
    localise(lesson, "de", title="Erste Lektion")
    with pytest.raises(LocalisedSave):
        lesson.save()
    assert Lesson.objects.get(slug="first").title == "First lesson"


def _post_lesson_admin(client, admin_user, lesson: Lesson, **changes):
    from tests.test_import_conflicts import _Form

    client.force_login(admin_user)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    form = _Form()
    form.feed(client.get(url).content.decode())
    return client.post(url, {**form.data, **changes})


def test_the_admin_refuses_quiz_texts_that_do_not_fit_the_quiz(pack, client, admin_user):
    import_content(pack)
    translation = LessonTranslation.objects.get()
    texts = '{"pick": {"choices": [{"text": "Nur eine"}]}}'
    response = _post_lesson_admin(
        client, admin_user, translation.lesson, **{"translations-0-quiz_texts": texts}
    )
    assert response.status_code == 200
    assert "question &#x27;pick&#x27; has 1 choices; the quiz has 2" in response.content.decode()
    assert LessonTranslation.objects.get().quiz_texts == translation.quiz_texts


def test_the_admin_takes_empty_quiz_texts(pack, client, admin_user):
    import_content(pack)
    translation = LessonTranslation.objects.get()
    response = _post_lesson_admin(
        client, admin_user, translation.lesson, **{"translations-0-quiz_texts": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LessonTranslation.objects.get().quiz_texts in ({}, None)
