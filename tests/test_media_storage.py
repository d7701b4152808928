"""Stored media follow the database (issue 21): a file is in the media storage if and
only if a row names it, whatever happens to the import or upload that wrote it: a full
disk part-way through, a later error in the same import, a kill -9, a re-import.

The disk is full for real where the tests run as root (a 1 MiB tmpfs mounted for the
test); everywhere, a FileSystemStorage that writes what fits and then fails with
ENOSPC, as a full disk does, stands in for it."""

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from authoring.importing import import_content
from courses.models import Course, MediaFile
from tests.factories import make_course

MiB = 2**20


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-root")
    return settings.MEDIA_ROOT


def pdf(size: int, seed: int) -> bytes:
    """A PDF of ``size`` bytes whose content (so whose hash) depends on ``seed``."""
    head = b"%PDF-1.4\n"
    return head + random.Random(seed).randbytes(size - len(head))


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def course_folder(root: Path, slug: str, media: dict[str, bytes]) -> Path:
    """content/<slug>/ with one lesson and media/<name> for each file."""
    folder = root / slug
    write(folder / "course.md", f"---\ntitle: {slug.title()}\n---\nAbout {slug}.\n")
    write(folder / "01-intro.md", "---\ntitle: Intro\n---\nRead the sheets.\n")
    for name, data in media.items():
        write(folder / "media" / name, data)
    return root


def three_sheets(root: Path, size: int = 400 * 1024) -> Path:
    return course_folder(
        root, "tills", {f"{name}.pdf": pdf(size, seed) for seed, name in enumerate("abc")}
    )


def stored_files(root: Path | None = None) -> set[str]:
    """Every file in the media folder (temporary ones included), by storage name."""
    root = Path(root or django_settings.MEDIA_ROOT)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def named_files() -> set[str]:
    return set(MediaFile.objects.values_list("file", flat=True))


def bytes_stored(root: Path | None = None) -> int:
    root = Path(root or django_settings.MEDIA_ROOT)
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


class FullDiskStorage(FileSystemStorage):
    """The media folder on a disk that holds ``space`` bytes: a write that does not
    fit writes what fits, then fails with ENOSPC, as a real full disk does."""

    def __init__(self, space: int = MiB, **kwargs):
        super().__init__(**kwargs)
        self.space = space

    def _save(self, name, content):
        data = content.read()
        free = self.space - bytes_stored(self.location)
        if len(data) <= free:
            return super()._save(name, ContentFile(data))
        super()._save(name, ContentFile(data[: max(free, 0)]))  # the part that fit
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class ReadOnlyStorage(FileSystemStorage):
    """A media folder the site may not write to (root ignores chmod, so the tests
    cannot make a real one)."""

    def _save(self, name, content):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@pytest.fixture
def full_disk(settings):
    """The default storage on a disk of 1 MiB (FullDiskStorage)."""

    def size(space: int) -> None:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "tests.test_media_storage.FullDiskStorage",
                "OPTIONS": {"space": space},
            },
        }

    size(MiB)
    return size


# --- A full disk ---------------------------------------------------------------------


def test_a_full_disk_is_an_error_naming_the_file(db, tmp_path, full_disk):
    with pytest.raises(CommandError) as caught:
        call_command("import_content", three_sheets(tmp_path), stdout=StringIO())
    assert "media/c.pdf: could not be stored: No space left on device" in str(caught.value)
    assert not Course.objects.exists()


def test_a_full_disk_leaves_no_file_behind(db, tmp_path, full_disk):
    with pytest.raises(CommandError):
        call_command("import_content", three_sheets(tmp_path), stdout=StringIO())
    assert stored_files() == set()


def test_a_folder_the_site_may_not_write_to_is_an_error_naming_the_file(db, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_media_storage.ReadOnlyStorage"},
    }
    with pytest.raises(CommandError) as caught:
        call_command("import_content", three_sheets(tmp_path), stdout=StringIO())
    assert str(caught.value).startswith("media/a.pdf: could not be stored: Permission denied")
    assert not Course.objects.exists()


def test_reimporting_after_freeing_space_stores_each_file_once(db, tmp_path, full_disk):
    root = three_sheets(tmp_path)
    with pytest.raises(CommandError):
        call_command("import_content", root, stdout=StringIO())
    full_disk(4 * MiB)  # space freed
    call_command("import_content", root, stdout=StringIO())
    assert len(named_files()) == 3
    assert stored_files() == named_files()


# --- A later error in the same import ------------------------------------------------


def test_a_later_error_in_the_import_removes_the_files_it_wrote(db, tmp_path, monkeypatch):
    def broken_quiz(*args, **kwargs):
        raise DatabaseError("the quiz could not be written")

    monkeypatch.setattr("authoring.importing._sync_quiz", broken_quiz)  # after the media
    with pytest.raises(DatabaseError):
        import_content(three_sheets(tmp_path))
    assert not MediaFile.objects.exists()
    assert stored_files() == set()


def test_importing_again_after_a_failed_import_stores_each_file_once(db, tmp_path, monkeypatch):
    root = three_sheets(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr("authoring.importing._sync_quiz", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            import_content(root)
    import_content(root)
    assert len(named_files()) == 3
    assert stored_files() == named_files()


def test_a_full_disk_in_a_second_course_removes_the_first_courses_files(db, tmp_path, full_disk):
    root = course_folder(tmp_path, "a-first", {"one.pdf": pdf(300 * 1024, 1)})
    course_folder(root, "b-second", {"two.pdf": pdf(900 * 1024, 2)})
    with pytest.raises(CommandError, match="media/two.pdf: could not be stored"):
        call_command("import_content", root, stdout=StringIO())
    assert stored_files() == set()


# --- The admin's upload --------------------------------------------------------------


def change_page_data(response) -> dict:
    """The values of the course change page's forms, as a browser would send them."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and not field.field.disabled:
                data[field.html_name] = value
    return data


def test_an_upload_onto_a_full_disk_is_a_form_error_and_leaves_no_file(admin_client, full_disk):
    course = make_course(lessons=0)
    url = f"/admin/courses/course/{course.pk}/change/"
    data = change_page_data(admin_client.get(url))
    data.update(
        {
            "media_files-TOTAL_FORMS": "1",
            "media_files-0-course": str(course.pk),
            "media_files-0-path": "media/big.pdf",
            "media_files-0-upload": SimpleUploadedFile("big.pdf", pdf(2 * MiB, 7)),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the page again, with the error
    errors = response.context["inline_admin_formsets"][1].formset.errors
    assert errors == [{"upload": ["media/big.pdf: could not be stored: No space left on device"]}]
    assert not MediaFile.objects.exists()
    assert stored_files() == set()


# --- A real full disk and a real kill, in a process of their own ---------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def manage(*args: str, media_root: Path, **popen) -> subprocess.Popen:
    """manage.py in a process of its own, on the test database and ``media_root``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {**clean, "DATABASE_URL": database_url(), "DJANGO_MEDIA_ROOT": str(media_root)}
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB disk (tmpfs) for the media folder: needs root to mount."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root; the ENOSPC storage tests run anyway")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.django_db(transaction=True)
def test_a_real_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, small_disk):
    root = three_sheets(tmp_path / "content")
    process = manage("import_content", str(root), media_root=small_disk)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    assert "media/c.pdf: could not be stored: No space left on device" in err
    assert "Traceback" not in err
    assert stored_files(small_disk) == set()

    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    process = manage("import_content", str(root), media_root=small_disk)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    names = named_files()
    assert len(names) == 3
    assert stored_files(small_disk) == names


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_only_what_cleanup_removes(tmp_path, settings):
    media = tmp_path / "media"
    media.mkdir()
    root = course_folder(
        tmp_path / "content", "big", {f"sheet-{n:02}.pdf": pdf(MiB, n) for n in range(40)}
    )
    process = manage("import_content", str(root), media_root=media)
    deadline = time.monotonic() + 120
    while not stored_files(media) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the import ended before it was killed"
    left = stored_files(media)
    assert left, "killed before any file was written"
    assert not MediaFile.objects.exists()  # the transaction died with the process

    settings.MEDIA_ROOT = media
    later = timezone.now() + timedelta(hours=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: later)
        call_command("cleanup_media", stdout=StringIO())
    assert stored_files(media) == set()

    import_content(root)
    assert len(named_files()) == 40
    assert stored_files(media) == named_files()


# --- cleanup_media -------------------------------------------------------------------


def cleanup_output(*args: str, hours_later: float = 2) -> str:
    """cleanup_media run ``hours_later`` (the clock moved on), its output."""
    later = timezone.now() + timedelta(hours=hours_later)
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: later)
        call_command("cleanup_media", *args, stdout=out)
    return out.getvalue()


def leave(name: str, data: bytes = b"left behind") -> Path:
    """A file in the media folder that no row names, as an old crash left it."""
    path = Path(django_settings.MEDIA_ROOT) / name
    write(path, data)
    return path


@pytest.fixture
def imported(db, tmp_path) -> set[str]:
    import_content(three_sheets(tmp_path))
    return named_files()


def test_cleanup_removes_files_no_row_names_and_keeps_the_rest(imported):
    leave("course-media/1/0123456789abcdef-old.pdf")
    leave("course-media/.incoming/4f2a.pdf.part")
    output = cleanup_output()
    assert "Removed 2 stored files no row names" in output
    assert stored_files() == imported


def test_cleanup_dry_run_lists_and_removes_nothing(imported):
    leave("course-media/9/0123456789abcdef-old.pdf")
    output = cleanup_output("--dry-run")
    assert "Would remove 1 stored file no row names" in output
    assert "  course-media/9/0123456789abcdef-old.pdf" in output
    assert stored_files() == imported | {"course-media/9/0123456789abcdef-old.pdf"}


def test_cleanup_keeps_recent_files_an_import_may_still_name(imported):
    leave("course-media/.incoming/4f2a.pdf.part")
    output = cleanup_output(hours_later=0)
    assert "Nothing removed: the 1 files no row names are younger than 60 minutes" in output
    assert "course-media/.incoming/4f2a.pdf.part" in stored_files()


def test_cleanup_never_touches_anything_outside_its_folder(imported, tmp_path):
    outside = tmp_path / "outside"
    write(outside / "precious.txt", "keep me")
    leave("backups/db.sqlite3")
    (Path(django_settings.MEDIA_ROOT) / "course-media" / "linked").symlink_to(outside)
    (Path(django_settings.MEDIA_ROOT) / "course-media" / "file-link").symlink_to(
        outside / "precious.txt"
    )
    assert "Nothing to remove" in cleanup_output()
    assert (outside / "precious.txt").read_text() == "keep me"
    assert (Path(django_settings.MEDIA_ROOT) / "backups" / "db.sqlite3").exists()
    assert (Path(django_settings.MEDIA_ROOT) / "course-media" / "file-link").is_symlink()


def test_import_content_runs_the_cleanup(db, tmp_path):
    leave("course-media/3/0123456789abcdef-old.pdf")
    later = timezone.now() + timedelta(hours=2)
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: later)
        call_command("import_content", three_sheets(tmp_path), stdout=out)
    assert "Removed 1 stored file no row names" in out.getvalue()
    assert stored_files() == named_files()


# --- Files that go missing, pages that do not validate -------------------------------


def test_a_reimport_restores_a_stored_file_that_went_missing(imported, tmp_path):
    name = MediaFile.objects.get(path="media/a.pdf").file.name
    (Path(django_settings.MEDIA_ROOT) / name).unlink()
    (report,) = import_content(three_sheets(tmp_path))
    assert report.media_changes == ["media/a.pdf restored (its stored file was missing)"]
    assert stored_files() == imported


def test_an_admin_page_that_does_not_validate_leaves_no_file(admin_client):
    course = make_course(lessons=0)
    url = f"/admin/courses/course/{course.pk}/change/"
    data = change_page_data(admin_client.get(url))
    data.update(
        {
            "title": "",  # required: the page comes back with an error
            "media_files-TOTAL_FORMS": "1",
            "media_files-0-course": str(course.pk),
            "media_files-0-path": "media/sheet.pdf",
            "media_files-0-upload": SimpleUploadedFile("sheet.pdf", pdf(1000, 3)),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert stored_files() == set()


def test_an_upload_in_the_admin_stores_exactly_its_file(admin_client):
    course = make_course(lessons=0)
    url = f"/admin/courses/course/{course.pk}/change/"
    data = change_page_data(admin_client.get(url))
    data.update(
        {
            "media_files-TOTAL_FORMS": "1",
            "media_files-0-course": str(course.pk),
            "media_files-0-path": "media/sheet.pdf",
            "media_files-0-upload": SimpleUploadedFile("sheet.pdf", pdf(1000, 3)),
        }
    )
    assert admin_client.post(url, data).status_code == 302
    (media,) = MediaFile.objects.all()
    assert media.file.name.endswith("-sheet.pdf")
    assert stored_files() == {media.file.name}
