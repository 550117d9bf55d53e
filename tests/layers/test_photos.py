"""Report photos: the type from the bytes, EXIF (GPS) gone, limits, content addresses."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from layers.photos import (
    LocalPhotoStore,
    PhotoTooLargeError,
    PhotoTypeError,
    photo_key,
    process_photo,
    store_photo,
)

MAX = 5 * 1024 * 1024
GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG whose EXIF holds a GPS position and a camera model (written by Pillow)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 12"  # Model
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (5.0, 25.0, 48.0), 3: "E", 4: (105.0, 15.0, 36.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(out, format="PNG")
    return out.getvalue()


def test_the_fixture_really_carries_gps() -> None:
    # the oracle for "EXIF is gone": Pillow reads the GPS back from the original
    raw = Image.open(io.BytesIO(jpeg_with_gps()))
    gps = raw.getexif().get_ifd(GPS_IFD)
    assert gps[1] == "S" and gps[3] == "E"


def test_jpeg_is_re_encoded_without_exif_or_gps() -> None:
    photo = process_photo(jpeg_with_gps(), max_bytes=MAX)
    assert photo.media_type == "image/jpeg"
    back = Image.open(io.BytesIO(photo.data))
    exif = back.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(GPS_IFD)
    assert "exif" not in back.info
    assert b"PhoneCam" not in photo.data
    thumb = Image.open(io.BytesIO(photo.thumb))
    assert thumb.format == "JPEG" and max(thumb.size) == 320
    assert len(thumb.getexif()) == 0


def test_png_renamed_jpg_is_a_png() -> None:
    # no file name reaches process_photo: the type can only come from the bytes
    photo = process_photo(png_bytes(), max_bytes=MAX)
    assert photo.media_type == "image/png"
    assert photo.original_format == "PNG"
    assert Image.open(io.BytesIO(photo.data)).format == "PNG"
    assert (photo.width, photo.height) == (300, 200)


@pytest.mark.parametrize(
    "raw",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
        b"GIF89a" + b"\x00" * 40,
        b"",
        png_bytes()[:60],  # a truncated PNG
    ],
    ids=["pdf", "gif", "empty", "truncated-png"],
)
def test_other_content_is_refused(raw: bytes) -> None:
    with pytest.raises(PhotoTypeError) as exc:
        process_photo(raw, max_bytes=MAX)
    assert exc.value.field == "photo"


def test_eight_megabytes_is_too_large() -> None:
    raw = jpeg_with_gps() + b"\x00" * (8 * 1024 * 1024)
    with pytest.raises(PhotoTooLargeError) as exc:
        process_photo(raw, max_bytes=MAX)
    assert "5,242,880" in exc.value.reason


def test_large_images_are_scaled_down() -> None:
    photo = process_photo(jpeg_with_gps((4000, 1000)), max_bytes=MAX)
    assert (photo.width, photo.height) == (2560, 640)


def test_local_store_is_content_addressed(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path / "photos")
    photo = process_photo(jpeg_with_gps(), max_bytes=MAX)
    store_photo(store, photo)
    store_photo(store, photo)  # the same photo twice: one file
    files = sorted(p for p in (tmp_path / "photos").rglob("*") if p.is_file())
    assert len(files) == 2  # the photo and its thumbnail
    for f in files:
        assert f.stem == hashlib.sha256(f.read_bytes()).hexdigest()
    key = photo_key(photo.sha256, photo.media_type)
    assert key.startswith(photo.sha256[:2] + "/") and key.endswith(".jpg")
    assert store.get(key) == photo.data
