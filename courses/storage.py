"""The one way the app writes a file: media files follow the database.

Every file the app stores (a course's media, imported or uploaded in the admin) goes
to Django's default storage (``STORAGES["default"]``): the local folder
``MEDIA_ROOT``, or an S3-compatible object store shared by several app servers
(docs/production.md, "Storage"). It is written in two steps:

1. ``write``: the bytes go to a temporary name under ``course-media/.incoming/``, so
   a write cut short (disk full, a killed process) never leaves a partial file under
   a name a row could point to. A failed write is a ``StorageFailed`` naming the file
   ("media/big.png: could not be stored: No space left on device"), with nothing left
   behind.
2. ``place``: the file is moved to its own name as its row is saved, in the same
   transaction. Stored names are derived from the content (``course-media/<course id>/
   <16 hex digits of its SHA-256>-<name>``, courses.models), so placing a file never
   changes what a committed row points to, and storing the same content again lands
   on the same name (overwritten, never a copy with a random suffix).

``atomic()`` is ``transaction.atomic()`` for code that stores files: if its
transaction rolls back, the files it wrote go too (temporary files, and files it
placed that no row names). Files replaced or deleted by a change are removed once
the change has committed (courses.models.delete_unused_file). What a killed process
leaves behind (temporary files, files no row names) is removed by ``cleanup``
(``manage.py cleanup_media``, also run by every ``import_content``) once older than
``CLEANUP_AGE``, so it never takes a file from an import still running elsewhere.

Why in place before the commit rather than after it (``transaction.on_commit``): a
process killed between the commit and the move would leave a committed row naming a
file that never comes, and a later import would find the content unchanged and not
write it again. Placed before, the worst a kill leaves is a file no row names, which
``cleanup`` removes.
"""

from __future__ import annotations

import logging
import os
import posixpath
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import Error as DatabaseFailure
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

if TYPE_CHECKING:  # courses.models imports this module
    from courses.media import Media
    from courses.models import MediaFile

logger = logging.getLogger(__name__)

# Every file the app stores is below this prefix of the storage; cleanup looks nowhere else.
PREFIX = "course-media"
INCOMING = f"{PREFIX}/.incoming"
# A file no row names is removed once older than this: an import still running
# elsewhere (another app server) may be about to commit the rows that name it.
CLEANUP_AGE = timedelta(minutes=60)


def _remote_errors() -> tuple[type[BaseException], ...]:
    """What an object store's client raises for a failed request (boto3, if installed)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - django-storages[s3] is a dependency
        return ()
    return (BotoCoreError, ClientError)


STORAGE_ERRORS = (OSError, *_remote_errors())


class StorageFailed(Exception):
    """A file could not be stored (disk full, permission denied, the object store
    refused it); nothing of it was left behind."""

    def __init__(self, label: str, reason: BaseException | str):
        self.label = label
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror
        self.reason = str(reason)
        super().__init__(label, self.reason)

    def __str__(self) -> str:
        return gettext("%(path)s: could not be stored: %(reason)s") % {
            "path": self.label,
            "reason": self.reason,
        }


@dataclass
class Staged:
    """A file written by ``write``: at ``temp`` until ``place`` moves it to ``name``."""

    label: str  # what people call it: media/receipt.png
    temp: str
    name: str = ""  # its own name, once placed
    placed: bool = False
    created: bool = False  # placed where no file was


def storage() -> Storage:
    return default_storage


def is_local(store: Storage | None = None) -> bool:
    """Whether the storage is a folder of this machine (os.replace works in it)."""
    try:
        (store or storage()).path("")
    except NotImplementedError:
        return False
    return True


# --- Writing ---------------------------------------------------------------------------


def write(label: str, data: bytes) -> Staged:
    """Write ``data`` under a temporary name; raises StorageFailed, leaving nothing."""
    store = storage()
    suffix = PurePosixPath(label).suffix.lower()[:10]
    temp = f"{INCOMING}/{uuid.uuid4().hex}{suffix}.part"
    try:
        saved = store.save(temp, ContentFile(data))
    except STORAGE_ERRORS as exc:
        _remove(temp)  # what a full disk let through
        raise StorageFailed(label, exc) from exc
    staged = Staged(label, saved)
    _track(staged)
    return staged


def place(staged: Staged, name: str) -> str:
    """Move a written file to ``name`` (overwriting a file there: the same content) and
    return the name it has; raises StorageFailed."""
    store = storage()
    try:
        if is_local(store):
            target = store.path(name)
            staged.created = not os.path.lexists(target)
            _make_folder(store, os.path.dirname(target))
            os.replace(store.path(staged.temp), target)
        else:
            staged.created = not store.exists(name)
            with store.open(staged.temp, "rb") as temp:
                name = store.save(name, temp)  # S3Storage overwrites (file_overwrite)
            _remove(staged.temp)
    except STORAGE_ERRORS as exc:
        raise StorageFailed(staged.label, exc) from exc
    staged.name, staged.placed = name, True
    return name


def _make_folder(store: Storage, folder: str) -> None:
    """Create ``folder`` as FileSystemStorage does (its directory_permissions_mode)."""
    mode = getattr(store, "directory_permissions_mode", None)
    if mode is None:
        os.makedirs(folder, exist_ok=True)
        return
    old_umask = os.umask(0o777 & ~mode)
    try:
        os.makedirs(folder, mode=mode, exist_ok=True)
    finally:
        os.umask(old_umask)


def store_file(label: str, name: str, data: bytes) -> str:
    """``write``, then ``place``: the stored name."""
    return place(write(label, data), name)


def store_media(media: MediaFile, checked: Media, staged: Staged | None = None) -> None:
    """Store ``checked`` (from courses.media.check_media) as the file of ``media`` and
    save it; ``staged`` is its file if already written (the admin writes it while it
    validates the upload). Raises StorageFailed (nothing stored, nothing saved). The
    file it replaces is removed once the change has committed, if no row names it."""
    old_name = media.file.name if media.pk else ""
    media.content_type = checked.content_type
    media.size = len(checked.data)
    media.width, media.height = checked.width, checked.height
    media.content_hash = checked.hash
    if staged is None:
        staged = write(media.path, checked.data)
    # Named by course and content (courses.models): the same bytes, the same name.
    name = media.file.field.generate_filename(media, PurePosixPath(media.path).name)
    media.file.name = place(staged, name)
    media.save()
    if old_name and old_name != media.file.name:
        transaction.on_commit(lambda: remove_if_unnamed(old_name), robust=True)


# --- Following the transaction ---------------------------------------------------------

_local = threading.local()


def _scopes() -> list[list[Staged]]:
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


def _track(staged: Staged) -> None:
    if scopes := _scopes():
        scopes[-1].append(staged)
    # Outside atomic(): nobody will know if the transaction rolls back; cleanup will.


@contextmanager
def atomic(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic()`` whose stored files follow it: on a rollback the files
    written inside it are removed; on success the temporary files never placed (a form
    that did not validate) are. Inside another ``atomic()`` the files placed are handed
    to it, since its rollback would take their rows too."""
    written: list[Staged] = []
    scopes = _scopes()
    scopes.append(written)
    try:
        with transaction.atomic(using=using):
            yield
    except BaseException:
        scopes.pop()
        _discard(written)
        raise
    scopes.pop()
    _discard([staged for staged in written if not staged.placed])
    if scopes:
        scopes[-1].extend(staged for staged in written if staged.placed)


def _discard(written: list[Staged]) -> None:
    """Remove the files of a rolled back change: never one a row names (after the
    rollback), nor one that was there before it."""
    for staged in reversed(written):
        if not staged.placed:
            _remove(staged.temp)
        elif staged.created:
            try:
                if is_named(staged.name):
                    continue
            except DatabaseFailure:  # the connection is gone: cleanup will decide
                continue
            _remove(staged.name)


def _remove(name: str) -> bool:
    """Delete ``name`` from the storage; a failure is logged, never raised."""
    try:
        storage().delete(name)
    except STORAGE_ERRORS as exc:
        logger.warning("Could not remove %s from the media storage: %s", name, exc)
        return False
    return True


def remove_if_unnamed(name: str) -> None:
    """Remove a stored file no row names (a replaced or deleted file, after the commit)."""
    if name and not is_named(name):
        _remove(name)


# --- What rows name, and cleanup -------------------------------------------------------


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def is_named(name: str) -> bool:
    """Whether any row's file field names ``name``."""
    return any(
        model._default_manager.filter(**{attribute: name}).exists()
        for model, attribute in _file_fields()
    )


def named_files() -> set[str]:
    """Every stored name any row names."""
    names: set[str] = set()
    for model, attribute in _file_fields():
        names.update(model._default_manager.values_list(attribute, flat=True))
    names.discard("")
    return names


def stored_files(store: Storage | None = None) -> Iterator[str]:
    """Every file below PREFIX in the storage, by name. In a local folder, symbolic
    links are neither listed nor followed: nothing outside the folder is ever listed."""
    store = store or storage()
    if is_local(store):
        root = os.path.realpath(store.path(""))
        top = os.path.join(root, PREFIX)
        for folder, folders, files in os.walk(top):
            folders[:] = [f for f in folders if not os.path.islink(os.path.join(folder, f))]
            for file in files:
                path = os.path.join(folder, file)
                if os.path.islink(path) or not os.path.realpath(path).startswith(root + os.sep):
                    continue
                yield os.path.relpath(path, root).replace(os.sep, "/")
        return
    pending = [PREFIX]
    while pending:
        folder = pending.pop()
        folders, files = store.listdir(folder)
        pending += [posixpath.join(folder, name) for name in folders]
        yield from (posixpath.join(folder, name) for name in files)


class CleanupFailed(Exception):
    """The media storage could not be listed (the object store unreachable...)."""

    def __str__(self) -> str:
        return f"the media storage could not be listed: {self.args[0]}"


@dataclass
class Cleanup:
    removed: list[str] = field(default_factory=list)  # or that would be, with dry_run
    bytes_removed: int = 0
    kept_recent: list[str] = field(default_factory=list)  # unnamed but younger than min_age


def cleanup(*, dry_run: bool = False, min_age: timedelta = CLEANUP_AGE) -> Cleanup:
    """Remove the files below PREFIX that no row names (temporary files included) and
    that are older than ``min_age``; with ``dry_run``, only say which."""
    store = storage()
    try:
        listed = sorted(stored_files(store))  # listed before the rows are read: see below
    except STORAGE_ERRORS as exc:
        raise CleanupFailed(str(exc)) from exc
    # A file placed by a change that commits after this query is younger than min_age,
    # or its row is found by the check just before it is removed.
    named = named_files()
    now = timezone.now()
    result = Cleanup()
    for name in listed:
        if name in named:
            continue
        try:
            modified = store.get_modified_time(name)
            size = store.size(name)
        except STORAGE_ERRORS:  # gone meanwhile
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified, timezone.get_current_timezone())
        if now - modified < min_age:
            result.kept_recent.append(name)
            continue
        if not dry_run and (is_named(name) or not _remove(name)):
            continue
        result.removed.append(name)
        result.bytes_removed += size
    return result
