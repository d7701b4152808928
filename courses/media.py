"""The one check of a lesson media file, for the importer and the admin alike.

Accepted: images (PNG, JPEG, GIF, WebP), PDF documents and UTF-8 text files (video
transcripts). The type is read from the content and must agree with the name's
extension, so a page cannot be passed off as a picture. SVG is refused: it is a
document that can carry script, and a picture of one is better sent as PNG.

Images are stored without what could tell where a photo was taken or with what:
EXIF (GPS position, camera make, model and serial number), XMP, ICC profiles,
comments and text chunks. A still image is re-encoded by Pillow: turned upright as
its EXIF Orientation says, its colours converted to sRGB when it had an ICC profile,
scaled down when wider than ``settings.LESSON_IMAGE_MAX_WIDTH``, and saved with
nothing but its pixels (and transparency). An image that is already bare (nothing
but pixels and their container, as the re-encoding writes it) and narrow enough is
kept byte for byte: re-encoding a JPEG or lossy WebP again would change and degrade
it, so importing an export would not be "unchanged". An animation (GIF, WebP, APNG)
keeps its frames byte for byte and loses its metadata blocks. The same input always
gives the same bytes, so importing an unchanged course writes nothing. Every file
is at most ``settings.LESSON_MEDIA_MAX_BYTES`` before re-encoding.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

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
# Every image is re-encoded on every import (to compare it with the stored one), so
# PNG is saved at zlib's default level: Pillow's optimize took 555 instead of 145 ms
# for a 1600 x 1000 screenshot, for 3 % fewer bytes.
_SAVE_OPTIONS = {
    "PNG": {},
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
        # A JPEG with more pictures (MPO: a depth map, a second view) is stored as
        # its first picture, like any still.
        if getattr(image, "n_frames", 1) > 1 and kind != "JPEG":
            if width > max_width:
                raise MediaProblem(
                    f"the animation is {width} pixels wide; make it at most {max_width} wide"
                )
            return Media(_animation_without_metadata(data, kind), content_type, width, height)
        if width <= max_width and _is_bare(data, kind):
            return Media(data, content_type, width, height)
        return _reencoded(image, kind, content_type, max_width, lossless=_is_lossless(data, kind))


def _reencoded(
    image: Image.Image, kind: str, content_type: str, max_width: int, lossless: bool
) -> Media:
    """``image`` upright, in sRGB, at most ``max_width`` wide, saved with its pixels and
    transparency only."""
    transparency = image.info.get("transparency")
    profile = image.info.get("icc_profile")
    # Turned as the camera said first: the tag that turns it is not kept.
    upright = _in_srgb(ImageOps.exif_transpose(image), profile)
    if upright.width > max_width:
        height = max(1, round(upright.height * max_width / upright.width))
        upright = upright.resize((max_width, height), Image.Resampling.LANCZOS)
    if kind == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    # Pillow writes some of what it read (PNG: the ICC profile, text; GIF: the
    # comment) unless told otherwise: the image keeps no information of its own.
    upright.info = {}
    options = dict(_SAVE_OPTIONS[kind])
    if transparency is not None and kind in ("PNG", "GIF") and upright.mode == image.mode:
        options["transparency"] = transparency
    if kind == "WEBP" and lossless:
        options = {"lossless": True}
    out = io.BytesIO()
    upright.save(out, format=kind, **options)
    return Media(out.getvalue(), content_type, upright.width, upright.height)


_SRGB = ImageCms.createProfile("sRGB")


def _in_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """``image`` converted from its ICC profile to sRGB, which browsers assume for an
    image without one (a photo in Display P3 would otherwise look dull). Grey and
    palette images lose the profile only; a profile that cannot be read is dropped."""
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            _SRGB,
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


# --- Bare images and animations: reading the containers ----------------------------
#
# Allow-lists, not deny-lists: a block not named here is dropped (or makes the file
# not bare), whatever it holds.

# JPEG segments before the scan that hold pixels and nothing else: quantisation and
# Huffman tables, a baseline frame header, the restart interval (and a plain JFIF
# header of 16 bytes: no thumbnail).
_BARE_JPEG_SEGMENTS = {0xDB, 0xC0, 0xC4, 0xDD}
# In the entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a restart
# marker; anything else is another marker: a second scan, a segment, a second image.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_STILL_PNG = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
_ANIMATED_PNG = _STILL_PNG | {b"acTL", b"fcTL", b"fdAT"}
_STILL_WEBP = {b"VP8X", b"VP8 ", b"VP8L", b"ALPH"}
_ANIMATED_WEBP = {b"VP8X", b"ANIM", b"ANMF"}
# VP8X flags saying an ICC profile, EXIF or XMP follows.
_WEBP_METADATA_FLAGS = 0x20 | 0x08 | 0x04
# GIF application extensions that loop an animation.
_GIF_LOOPS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}


class _Damaged(ValueError):
    pass


def _is_bare(data: bytes, kind: str) -> bool:
    """Whether ``data`` holds its pixels and nothing else (as _reencoded writes them)."""
    try:
        if kind == "JPEG":
            return _bare_jpeg(data)
        if kind == "PNG":
            return _png_keeping(data, _STILL_PNG) == data
        if kind == "WEBP":
            return _webp_keeping(data, _STILL_WEBP) == data
    except (_Damaged, IndexError):
        return False
    return False  # GIF: re-encoding a re-encoded GIF gives the same bytes again


def _is_lossless(data: bytes, kind: str) -> bool:
    """A lossless WebP (a diagram, a screenshot) is saved lossless again."""
    try:
        return kind == "WEBP" and any(fourcc == b"VP8L" for fourcc, _ in _riff_chunks(data))
    except (_Damaged, IndexError):
        return False


def _animation_without_metadata(data: bytes, kind: str) -> bytes:
    """An animation with its frames byte for byte and its metadata blocks dropped:
    re-encoding would redraw every frame."""
    try:
        if kind == "GIF":
            return _gif_without_metadata(data)
        if kind == "PNG":
            return _png_keeping(data, _ANIMATED_PNG)
        return _webp_keeping(data, _ANIMATED_WEBP)
    except (_Damaged, IndexError):
        raise MediaProblem(f"the {kind} animation cannot be read (its file is damaged)") from None


def _bare_jpeg(data: bytes) -> bool:
    if not data.startswith(b"\xff\xd8"):
        return False
    position = 2
    while position + 4 <= len(data):
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if data[position] != 0xFF or length < 2:
            return False
        if marker == 0xDA:  # start of scan: the pixels, then the end of the image
            scan = data[position + 2 + length :]
            return scan.endswith(b"\xff\xd9") and not _MARKER_IN_SCAN.search(scan, 0, len(scan) - 2)
        segment = data[position + 4 : position + 2 + length]
        if marker == 0xE0:
            if length != 16 or not segment.startswith(b"JFIF\x00"):
                return False
        elif marker not in _BARE_JPEG_SEGMENTS:
            return False
        position += 2 + length
    return False


def _png_keeping(data: bytes, keep: set[bytes]) -> bytes:
    """``data`` with only the chunks named in ``keep``, up to IEND."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise _Damaged
    kept = [signature]
    position = len(signature)
    while True:
        length = int.from_bytes(data[position : position + 4], "big")
        end = position + 12 + length
        fourcc = data[position + 4 : position + 8]
        if end > len(data) or len(fourcc) < 4:
            raise _Damaged
        if fourcc in keep:
            kept.append(data[position:end])
        if fourcc == b"IEND":
            return b"".join(kept)
        position = end


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A WebP file's chunks, (fourcc, whole chunk with its padding); what follows the
    RIFF size is not read."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _Damaged
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    chunks = []
    position = 12
    while position + 8 <= end:
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        stop = position + 8 + size + (size & 1)
        if position + 8 + size > end:
            raise _Damaged
        chunks.append((data[position : position + 4], data[position : min(stop, end)]))
        position = stop
    return chunks


def _webp_keeping(data: bytes, keep: set[bytes]) -> bytes:
    """``data`` with only the chunks named in ``keep``, its VP8X header no longer
    announcing an ICC profile, EXIF or XMP."""
    kept = []
    for fourcc, chunk in _riff_chunks(data):
        if fourcc == b"VP8X" and len(chunk) > 8:
            chunk = chunk[:8] + bytes([chunk[8] & ~_WEBP_METADATA_FLAGS & 0xFF]) + chunk[9:]
        if fourcc in keep:
            kept.append(chunk)
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _gif_without_metadata(data: bytes) -> bytes:
    """``data`` with its frames, their timing and the loop, without comments, plain
    text and other application extensions (XMP, ICC profiles)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise _Damaged
    position = 13
    if data[10] & 0x80:  # a global colour table
        position += 3 * (2 << (data[10] & 7))
    kept = [data[:position]]
    while position < len(data):
        start = position
        if data[position] == 0x3B:  # the trailer
            break
        if data[position] == 0x2C:  # an image: descriptor, colour table, data
            flags = data[position + 9]
            position += 10
            if flags & 0x80:
                position += 3 * (2 << (flags & 7))
            position = _after_sub_blocks(data, position + 1)
            kept.append(data[start:position])
        elif data[position] == 0x21:  # an extension
            label = data[position + 1]
            position = _after_sub_blocks(data, position + 2)
            application = data[start + 3 : start + 14] if data[start + 2] == 11 else b""
            if label == 0xF9 or (label == 0xFF and application in _GIF_LOOPS):
                kept.append(data[start:position])
        else:
            raise _Damaged
    return b"".join(kept) + b"\x3b"


def _after_sub_blocks(data: bytes, position: int) -> int:
    while data[position]:
        position += data[position] + 1
    return position + 1
