"""Media in an S3-compatible object store, as several app servers share them
(DJANGO_MEDIA_STORAGE=s3; docs/production.md, "Storage"), against a real S3 server on
loopback: npm's s3rver (tests/s3/, installed by the Makefile as tests/oidc/ is), through
django-storages and boto3 as in production. Each test has a bucket of its own."""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from authoring.importing import import_content
from courses.models import Course, MediaFile, Visibility
from tests.test_media_storage import database_url, named_files, pdf, three_sheets

S3_DIR = Path(django_settings.BASE_DIR) / "tests" / "s3"
# s3rver accepts any request signed with its one pair of keys.
KEY_ID = SECRET = "S3RVER"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """node tests/s3/node_modules/s3rver on a free loopback port, for the session."""
    if not (S3_DIR / "node_modules" / "s3rver").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=S3_DIR, check=True
        )
    port = free_port()
    log = (tmp_path_factory.mktemp("s3-log") / "s3rver.log").open("w")
    server = subprocess.Popen(
        [
            "node",
            str(S3_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"),
            "--directory",
            str(tmp_path_factory.mktemp("s3-data")),
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--silent",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"s3rver did not start: {Path(log.name).read_text()}")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


class Bucket:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.name = f"media-{uuid.uuid4().hex[:12]}"
        self.s3 = client(endpoint)
        self.s3.create_bucket(Bucket=self.name)

    def objects(self) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def put(self, key: str, data: bytes = b"left behind") -> None:
        self.s3.put_object(Bucket=self.name, Key=key, Body=data)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()

    def environment(self) -> dict[str, str]:
        """The variables a deployment sets for this bucket (docs/production.md)."""
        return {
            "DJANGO_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.name,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
        }


def s3_settings(environment: dict[str, str]) -> dict:
    """STORAGES as config/settings.py makes it from ``environment``, in a fresh process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))}
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **environment},
        capture_output=True,
        text=True,
    )
    return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch) -> Bucket:
    """A new bucket, and the default storage in it as the settings make it from the
    environment (DJANGO_MEDIA_STORAGE=s3 ...)."""
    import json

    bucket = Bucket(s3_endpoint)
    made = s3_settings(bucket.environment())
    assert made["returncode"] == 0, made["stderr"]
    settings.STORAGES = {**settings.STORAGES, "default": json.loads(made["stdout"])}
    # The credentials come from the environment (boto3 reads them), never settings.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    return bucket


# --- Settings ------------------------------------------------------------------------


def test_the_local_folder_is_the_default():
    made = s3_settings({})
    assert made["returncode"] == 0, made["stderr"]
    assert '"django.core.files.storage.FileSystemStorage"' in made["stdout"]


def test_s3_without_a_bucket_is_refused_at_start():
    made = s3_settings({"DJANGO_MEDIA_STORAGE": "s3"})
    assert made["returncode"] != 0
    assert "DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in made["stderr"]


def test_an_unknown_storage_is_refused_at_start():
    made = s3_settings({"DJANGO_MEDIA_STORAGE": "ftp"})
    assert made["returncode"] != 0
    assert "DJANGO_MEDIA_STORAGE must be local or s3, not 'ftp'" in made["stderr"]


def test_the_credentials_are_not_settings(bucket):
    options = django_settings.STORAGES["default"]["OPTIONS"]
    assert SECRET not in str(options)
    assert options["bucket_name"] == bucket.name


# --- Import, serve, roll back, clean up ----------------------------------------------


def test_an_import_stores_the_media_in_the_bucket(db, bucket, tmp_path):
    import_content(three_sheets(tmp_path))
    names = named_files()
    assert len(names) == 3
    assert bucket.objects() == names
    media = MediaFile.objects.get(path="media/a.pdf")
    assert bucket.get(media.file.name) == pdf(400 * 1024, 0)


def test_the_app_serves_media_from_the_bucket(db, bucket, tmp_path, client, learner):
    import_content(three_sheets(tmp_path))
    course = Course.objects.get(slug="tills")
    assert course.visibility == Visibility.OPEN
    client.force_login(learner)
    response = client.get("/courses/tills/media/b.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf(400 * 1024, 1)


def test_an_object_missing_from_the_bucket_is_a_404(db, bucket, tmp_path, admin_client):
    import_content(three_sheets(tmp_path))
    name = MediaFile.objects.get(path="media/c.pdf").file.name
    bucket.s3.delete_object(Bucket=bucket.name, Key=name)
    assert admin_client.get("/courses/tills/media/c.pdf").status_code == 404


def test_a_rolled_back_import_leaves_nothing_in_the_bucket(db, bucket, tmp_path, monkeypatch):
    def broken_quiz(*args, **kwargs):
        raise RuntimeError("the quiz could not be written")

    monkeypatch.setattr("authoring.importing._sync_quiz", broken_quiz)  # after the media
    with pytest.raises(RuntimeError):
        import_content(three_sheets(tmp_path))
    assert bucket.objects() == set()


def test_a_bucket_that_refuses_the_file_is_a_clear_error(db, bucket, tmp_path, settings):
    bucket.s3.delete_bucket(Bucket=bucket.name)
    with pytest.raises(CommandError) as caught:
        call_command("import_content", three_sheets(tmp_path), stdout=StringIO())
    message = str(caught.value)
    assert message.startswith("media/a.pdf: could not be stored: ")
    assert "NoSuchBucket" in message
    assert message.endswith("; nothing was imported.")


def test_cleanup_media_removes_objects_no_row_names(db, bucket, tmp_path):
    import_content(three_sheets(tmp_path))
    bucket.put("course-media/1/0123456789abcdef-old.pdf")
    bucket.put("course-media/.incoming/4f2a.pdf.part")
    bucket.put("backups/db.sqlite3")  # not the app's: never touched

    later = timezone.now() + timedelta(hours=2)
    dry, out = StringIO(), StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: later)
        call_command("cleanup_media", "--dry-run", stdout=dry)
        assert len(bucket.objects()) == 6
        call_command("cleanup_media", stdout=out)
    assert "Would remove 2 stored files no row names" in dry.getvalue()
    assert "Removed 2 stored files no row names" in out.getvalue()
    assert bucket.objects() == named_files() | {"backups/db.sqlite3"}


def test_cleanup_media_keeps_recent_objects(db, bucket, tmp_path):
    import_content(three_sheets(tmp_path))
    bucket.put("course-media/.incoming/4f2a.pdf.part")
    call_command("cleanup_media", stdout=StringIO())
    assert "course-media/.incoming/4f2a.pdf.part" in bucket.objects()


@pytest.mark.django_db(transaction=True)
def test_import_content_on_a_server_set_up_for_s3(s3_endpoint, tmp_path):
    """manage.py import_content in a process of its own, configured only by the
    environment, as an app server is."""
    bucket = Bucket(s3_endpoint)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_content", str(three_sheets(tmp_path))],
        cwd=django_settings.BASE_DIR,
        env={**clean, "DATABASE_URL": database_url(), **bucket.environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tills: course created" in result.stdout
    names = named_files()
    assert len(names) == 3
    assert bucket.objects() == names


def test_cleanup_media_on_a_bucket_it_cannot_list_is_a_clear_error(db, bucket):
    bucket.s3.delete_bucket(Bucket=bucket.name)
    with pytest.raises(CommandError, match="the media storage could not be listed: .*NoSuchBucket"):
        call_command("cleanup_media", stdout=StringIO())
