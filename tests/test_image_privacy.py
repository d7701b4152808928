"""Images are stored without what identifies a place or a device (issue 21, point 2).

Before, a JPEG, PNG or WebP up to LESSON_IMAGE_MAX_WIDTH was stored and served byte
for byte, its EXIF GPS position, camera, XMP and ICC profile included. Now every
image is re-encoded by courses/media.py (turned upright first); the stored hash,
size and dimensions are those of the stored bytes, and the same file gives the same
bytes, so importing an unchanged course writes nothing.
"""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageOps
from PIL.PngImagePlugin import PngInfo

from authoring.export import export_course
from authoring.importing import import_content
from courses.admin import MediaFileForm
from courses.media import check_media
from courses.models import Course, MediaFile

pytestmark = pytest.mark.django_db

# What a phone writes into a photo: where (GPS) and with what (make, model, serial).
PLACE = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
}
DEVICE = "PhoneMaker"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.2N" '
    b'exif:GPSLongitude="0,7.65W"/></rdf:RDF></x:xmpmeta>'
)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
# Bytes that must not be in a stored image: the EXIF header, the device, the XMP
# position, the ICC profile's description.
TRACES = [b"Exif\x00\x00", DEVICE.encode(), b"GPSLatitude", b"adobe:ns:meta", b"sRGB"]


def exif(orientation: int | None = None) -> bytes:
    data = Image.Exif()
    data[ExifTags.Base.Make] = DEVICE
    data[ExifTags.Base.Model] = "Phone 12 Pro"
    data[ExifTags.Base.BodySerialNumber] = "SN-4711"
    data[ExifTags.IFD.GPSInfo] = PLACE
    if orientation is not None:
        data[ExifTags.Base.Orientation] = orientation
    return data.tobytes()


def picture(mode: str = "RGB", size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue (and half transparent on the right for RGBA)."""
    image = Image.new(mode, size, (255, 0, 0, 255) if mode == "RGBA" else (255, 0, 0))
    right = (0, 0, 255, 128) if mode == "RGBA" else (0, 0, 255)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def photo(kind: str, orientation: int | None = None, mode: str = "RGB") -> bytes:
    """An image in ``kind`` carrying a GPS position, the device, XMP and an ICC profile."""
    out = io.BytesIO()
    options = {"exif": exif(orientation), "icc_profile": ICC}
    if kind == "PNG":
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        info.add_text("Comment", f"Taken with a {DEVICE}")
        options["pnginfo"] = info
    else:
        options["xmp"] = XMP
    if kind == "JPEG":
        options["comment"] = f"Taken with a {DEVICE}"
    picture(mode).save(out, format=kind, **options)
    data = out.getvalue()
    image = Image.open(io.BytesIO(data))
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) and "icc_profile" in image.info
    assert DEVICE.encode() in data and b"GPSLatitude" in data
    return data


KINDS = {"JPEG": "photo.jpg", "PNG": "photo.png", "WEBP": "photo.webp"}


def assert_anonymous(data: bytes) -> None:
    for trace in TRACES:
        assert trace not in data, trace
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment", "Comment"} & set(image.info)


def assert_describes(media: MediaFile) -> bytes:
    """The row's hash, size and dimensions are the stored bytes'; returns them."""
    with media.file.open("rb") as stored:
        data = stored.read()
    assert media.content_hash == hashlib.sha256(data).hexdigest()
    assert media.size == len(data)
    assert (media.width, media.height) == Image.open(io.BytesIO(data)).size
    return data


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-root")
    return settings.MEDIA_ROOT


def content(root: Path, **media: bytes) -> Path:
    """content/tills/ with one lesson showing each of ``media`` (name: bytes)."""
    folder = root / "tills"
    (folder / "media").mkdir(parents=True)
    (folder / "course.md").write_text("---\ntitle: Tills\n---\nAbout tills.\n")
    shown = "\n\n".join(f"![A picture](media/{name})" for name in media)
    (folder / "01-photos.md").write_text(f"---\ntitle: Photos\n---\n{shown}\n")
    for name, data in media.items():
        (folder / "media" / name).write_bytes(data)
    return root


def stored_files(media_root: Path) -> dict[str, tuple[int, int]]:
    """Every stored file with its inode and modification time (rewritten: changed)."""
    return {
        str(path.relative_to(media_root)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in media_root.rglob("*")
        if path.is_file()
    }


# --- Import and upload -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_imported_image_is_stored_and_served_without_place_or_device(
    tmp_path, admin_client, kind
):
    name = KINDS[kind]
    import_content(content(tmp_path, **{name: photo(kind)}))
    media = MediaFile.objects.get(path=f"media/{name}")
    data = assert_describes(media)
    assert_anonymous(data)
    response = admin_client.get(f"/courses/tills/media/{name}?v={media.version}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data


@pytest.mark.parametrize("kind", KINDS)
def test_an_uploaded_image_is_stored_without_place_or_device(course, kind):
    name = KINDS[kind]
    form = MediaFileForm(
        data={"path": ""},
        files={"upload": SimpleUploadedFile(name, photo(kind))},
        instance=MediaFile(course=course),
    )
    assert form.is_valid(), form.errors
    media = form.save()
    assert media.path == f"media/{name}"
    assert_anonymous(assert_describes(media))


def test_a_turned_photo_is_stored_upright(tmp_path):
    """EXIF Orientation 6: the camera was held on its side; shown turned 90 degrees
    clockwise. The stored picture is upright without the tag: left half (red) on top."""
    import_content(content(tmp_path, **{"photo.jpg": photo("JPEG", orientation=6)}))
    media = MediaFile.objects.get(path="media/photo.jpg")
    data = assert_describes(media)
    assert (media.width, media.height) == (20, 40)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    red, blue = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert red[0] > 200 and red[2] < 60, red
    assert blue[2] > 200 and blue[0] < 60, blue
    assert_anonymous(data)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_transparency_is_kept(kind):
    stored = check_media(KINDS[kind], photo(kind, mode="RGBA"))
    image = Image.open(io.BytesIO(stored.data))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 255
    assert abs(image.getpixel((35, 5))[3] - 128) <= 2
    assert_anonymous(stored.data)


@pytest.mark.parametrize("kind", KINDS)
def test_the_colours_are_kept(kind):
    image = Image.open(io.BytesIO(check_media(KINDS[kind], photo(kind)).data)).convert("RGB")
    for (x, y), colour in [((5, 5), (255, 0, 0)), ((35, 15), (0, 0, 255))]:
        assert all(abs(a - b) <= 8 for a, b in zip(image.getpixel((x, y)), colour, strict=True))


def test_a_gif_loses_its_comment():
    out = io.BytesIO()
    picture("RGB").convert("P").save(out, format="GIF", comment=f"Taken with a {DEVICE}")
    stored = check_media("photo.gif", out.getvalue())
    assert DEVICE.encode() not in stored.data
    assert Image.open(io.BytesIO(stored.data)).size == (40, 20)


def animation(kind: str) -> bytes:
    frames = [picture("RGB"), ImageOps.mirror(picture("RGB")), picture("RGB")]
    out = io.BytesIO()
    options = {"comment": f"Taken with a {DEVICE}"} if kind == "GIF" else {"exif": exif()}
    if kind == "WEBP":
        options["xmp"] = XMP
    frames[0].save(
        out, format=kind, save_all=True, append_images=frames[1:], duration=100, loop=0, **options
    )
    return out.getvalue()


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_an_animation_keeps_its_frames_and_loses_its_metadata(kind):
    data = animation(kind)
    assert DEVICE.encode() in data
    stored = check_media(f"moving.{kind.lower()}", data)
    assert DEVICE.encode() not in stored.data and b"adobe:ns:meta" not in stored.data
    original, kept = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stored.data))
    assert kept.n_frames == original.n_frames == 3
    for frame in range(3):
        original.seek(frame)
        kept.seek(frame)
        assert kept.convert("RGB").tobytes() == original.convert("RGB").tobytes()
        assert kept.info.get("duration") == original.info.get("duration")
    assert kept.info.get("loop") == original.info.get("loop")


# --- Same file, same bytes ---------------------------------------------------------


def test_reencoding_gives_the_same_bytes_every_time():
    for kind, name in KINDS.items():
        first = check_media(name, photo(kind, orientation=6))
        assert check_media(name, photo(kind, orientation=6)).data == first.data, kind


def test_reimporting_an_unchanged_course_writes_nothing(tmp_path, media_root):
    root = content(
        tmp_path,
        **{name: photo(kind, orientation=6) for kind, name in KINDS.items()},
        **{"moving.gif": animation("GIF"), "moving.webp": animation("WEBP")},
    )
    import_content(root)
    rows = list(MediaFile.objects.order_by("path").values())
    files = stored_files(media_root)
    (report,) = import_content(root)
    assert report.media_changes == [] and not report.changed
    assert list(MediaFile.objects.order_by("path").values()) == rows
    assert stored_files(media_root) == files


def test_an_export_reimports_unchanged(tmp_path):
    """The exported (re-encoded) images are taken as they are: JPEG and lossy WebP
    are not encoded a second time, which would change (and degrade) them."""
    root = content(tmp_path / "in", **{name: photo(kind) for kind, name in KINDS.items()})
    import_content(root)
    before = list(MediaFile.objects.order_by("path").values_list("path", "content_hash"))
    export_course(Course.objects.get(slug="tills"), tmp_path / "out")
    (report,) = import_content(tmp_path / "out")
    assert report.media_changes == [] and not report.changed
    after = list(MediaFile.objects.order_by("path").values_list("path", "content_hash"))
    assert after == before


def test_an_image_without_metadata_is_kept_byte_for_byte():
    for kind, name in KINDS.items():
        out = io.BytesIO()
        picture().save(out, format=kind)
        assert check_media(name, out.getvalue()).data == out.getvalue(), kind
