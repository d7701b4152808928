"""The one check of a lesson media file, for the importer and the admin alike.

Accepted: images (PNG, JPEG, GIF, WebP), PDF documents and UTF-8 text files (video
transcripts). The type is read from the content and must agree with the name's
extension, so a page cannot be passed off as a picture. SVG is refused: it is a
document that can carry script, and a picture of one is better sent as PNG.

An image wider than ``settings.LESSON_IMAGE_MAX_WIDTH`` is scaled down (the same
input gives the same bytes, and an image already narrow enough is kept byte for
byte, so importing an export of it changes nothing). Every file is at most
``settings.LESSON_MEDIA_MAX_BYTES`` before scaling.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from courses.content_errors import text_problem

MEDIA_FOLDER = "media"
# A media path, relative to the course folder: media/, then names of letters, digits,
# dots, hyphens and underscores (never starting with a dot: no "..", no hidden files).
MEDIA_PATH = re.compile(r"media(?:/[A-Za-z0-9_][A-Za-z0-9._-]*){1,4}")
MAX_PATH_LENGTH = 200
# Pixels decoded at most (Pillow's own bomb check allows ~89 million): 25 million is
# a 6000 x 4000 photograph, a few hundred MB while it is scaled.
MAX_IMAGE_PIXELS = 25_000_000

# extension -> (Pillow's format name, or "PDF"/"TEXT"; content type)
TYPES = {
    ".png": ("PNG", "image/png"),
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
    ".gif": ("GIF", "image/gif"),
    ".webp": ("WEBP", "image/webp"),
    ".pdf": ("PDF", "application/pdf"),
    ".txt": ("TEXT", "text/plain; charset=utf-8"),
}
ALLOWED = "PNG, JPEG, GIF, WebP, PDF and .txt"
_SAVE_OPTIONS = {
    "PNG": {"optimize": True},
    "JPEG": {"quality": 85, "optimize": True},
    "GIF": {},
    "WEBP": {"quality": 85},
}


class MediaProblem(ValueError):
    """Why a file cannot be lesson media, said so an author can fix it."""


@dataclass(frozen=True)
class Media:
    """A file ready to store: its bytes (scaled if it was too wide) and what they are."""

    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def path_problem(path: str) -> str | None:
    """Why ``path`` (relative to the course folder) cannot name a media file, or None."""
    if len(path) > MAX_PATH_LENGTH:
        return f"the path is longer than {MAX_PATH_LENGTH} characters"
    if not MEDIA_PATH.fullmatch(path):
        return (
            "media files live in the course's media/ folder (at most 3 folders deep) and "
            "their names hold only letters, digits, '.', '-' and '_' (no spaces)"
        )
    return None


def check_size(size: int) -> None:
    """Raises MediaProblem for a file larger than LESSON_MEDIA_MAX_BYTES."""
    limit = settings.LESSON_MEDIA_MAX_BYTES
    if size > limit:
        raise MediaProblem(
            f"the file is {size / 2**20:.1f} MiB; the limit is {limit / 2**20:g} MiB "
            "(make the image smaller or split the document)"
        )


def check_media(name: str, data: bytes) -> Media:
    """``data`` (a file named ``name``) as stored media; raises MediaProblem."""
    check_size(len(data))
    extension = PurePosixPath(name).suffix.lower()
    if extension == ".svg":
        raise MediaProblem("SVG is not accepted (it can carry script): export it as PNG")
    if extension not in TYPES:
        raise MediaProblem(f"'{extension or name}' files are not accepted (allowed: {ALLOWED})")
    kind, content_type = TYPES[extension]
    if kind == "PDF":
        if not data.startswith(b"%PDF-"):
            raise MediaProblem("the file is not a PDF document (it does not start with %PDF-)")
        return Media(data, content_type)
    if kind == "TEXT":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MediaProblem("a .txt file must be UTF-8 text") from None
        if problem := text_problem(text):
            raise MediaProblem(f"the text {problem[0]}")
        return Media(data, content_type)
    return _image(data, kind, content_type)


def _image(data: bytes, kind: str, content_type: str) -> Media:
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
    except (UnidentifiedImageError, OSError, ValueError):
        raise MediaProblem(
            f"the file is not a {kind} image (its content does not match its extension)"
        ) from None
    with image:
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise MediaProblem(
                f"the image is {width} x {height} pixels; at most "
                f"{MAX_IMAGE_PIXELS / 1e6:g} million pixels are accepted"
            )
        try:
            image.load()
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise MediaProblem(f"the {kind} image cannot be read ({exc})") from None
        max_width = settings.LESSON_IMAGE_MAX_WIDTH
        if width <= max_width:
            return Media(data, content_type, width, height)
        if getattr(image, "n_frames", 1) > 1:
            raise MediaProblem(
                f"the animation is {width} pixels wide; make it at most {max_width} wide"
            )
        return _scaled(image, kind, content_type, max_width)


def _scaled(image: Image.Image, kind: str, content_type: str, max_width: int) -> Media:
    # Turned as the camera said first (a scaled copy loses the EXIF that turns it).
    upright = ImageOps.exif_transpose(image)
    width = min(max_width, upright.width)
    height = max(1, round(upright.height * width / upright.width))
    scaled = upright.resize((width, height), Image.Resampling.LANCZOS)
    if kind == "JPEG" and scaled.mode not in ("RGB", "L"):
        scaled = scaled.convert("RGB")
    out = io.BytesIO()
    scaled.save(out, format=kind, **_SAVE_OPTIONS[kind])
    return Media(out.getvalue(), content_type, scaled.width, scaled.height)
