"""Report photos: the real image type, re-encoding without metadata, thumbnails, storage.

A citizen's photo is trusted for nothing: its type comes from its bytes (Pillow opens
and fully decodes it), never from the file name or the declared content type. Only
JPEG, PNG and WebP are accepted (:class:`PhotoTypeError`, 415 in the API); a file over
``max_bytes`` or an image over :data:`MAX_PIXELS` is refused (:class:`PhotoTooLargeError`,
413). The accepted image is turned upright (EXIF orientation), scaled down to
:data:`MAX_EDGE` pixels on its long side and **re-encoded in its own format** from the
pixels alone, so EXIF (GPS included), XMP, ICC profiles and comments are gone. A
thumbnail (JPEG, :data:`THUMB_EDGE` px) is made too.

Files are **content-addressed**: the key of a file is the SHA-256 of its bytes
(``ab/abcdef….jpg``), so the same photo sent twice is stored once. They go to a
:class:`PhotoStore`: :class:`LocalPhotoStore` (a folder under the data directory) or
:class:`S3PhotoStore` (any S3-compatible service, through boto3).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from layers.errors import LayersError

MAX_PIXELS = 40_000_000
"""Largest image accepted (40 megapixels; a 2025 phone camera takes 12-50)."""
MAX_EDGE = 2560
"""Long side of the stored photo, in pixels (larger photos are scaled down)."""
THUMB_EDGE = 320
"""Long side of the thumbnail, in pixels."""
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
"""Accepted Pillow formats → (media type, file extension)."""
MEDIA_TYPES: dict[str, str] = dict(FORMATS.values())


class PhotoError(LayersError):
    """A photo that cannot be accepted."""


class PhotoTypeError(PhotoError):
    """Not a JPEG, PNG or WebP image (by its content) (415)."""


class PhotoTooLargeError(PhotoError):
    """Larger than the byte limit, or more pixels than :data:`MAX_PIXELS` (413)."""


class PhotoNotFoundError(PhotoError):
    """A stored photo that is missing from the store (the server's own fault)."""


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    """A photo ready to store: the re-encoded image and its thumbnail."""

    data: bytes
    media_type: str
    width: int
    height: int
    thumb: bytes
    thumb_media_type: str
    original_format: str

    @property
    def sha256(self) -> str:
        """Content address of the photo."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def thumb_sha256(self) -> str:
        """Content address of the thumbnail."""
        return hashlib.sha256(self.thumb).hexdigest()


def photo_key(sha256: str, media_type: str) -> str:
    """The storage key of a file: ``ab/<sha256>.<ext>``."""
    return f"{sha256[:2]}/{sha256}.{MEDIA_TYPES[media_type]}"


def process_photo(raw: bytes, *, max_bytes: int, field: str = "photo") -> ProcessedPhoto:
    """Check a photo by its content and re-encode it without any metadata.

    Parameters
    ----------
    raw
        The uploaded bytes.
    max_bytes
        Largest accepted upload.
    field
        Request field named in errors.

    Raises
    ------
    PhotoTooLargeError
        ``raw`` is larger than ``max_bytes``, or the image has more than
        :data:`MAX_PIXELS` pixels.
    PhotoTypeError
        The bytes are not a complete JPEG, PNG or WebP image.
    """
    if len(raw) > max_bytes:
        msg = f"the photo is {len(raw):,} bytes; at most {max_bytes:,} bytes are accepted"
        raise PhotoTooLargeError(msg, field=field)
    if not raw:
        msg = "the photo is empty"
        raise PhotoTypeError(msg, field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            fmt = str(image.format)
            if image.width * image.height > MAX_PIXELS:
                msg = (
                    f"the photo has {image.width}x{image.height} pixels; at most "
                    f"{MAX_PIXELS:,} pixels are accepted"
                )
                raise PhotoTooLargeError(msg, field=field)
            image.load()  # decode everything: a truncated or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        msg = f"the photo has more than {MAX_PIXELS:,} pixels"
        raise PhotoTooLargeError(msg, field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        msg = "the photo is not a JPEG, PNG or WebP image (judged by its content, not its name)"
        raise PhotoTypeError(msg, field=field) from None
    upright: Image.Image = ImageOps.exif_transpose(image)  # upright, as the camera meant it
    upright.thumbnail((MAX_EDGE, MAX_EDGE))
    media_type = FORMATS[fmt][0]
    data = _encode(upright, fmt)
    thumb = upright.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
    return ProcessedPhoto(
        data=data,
        media_type=media_type,
        width=upright.width,
        height=upright.height,
        thumb=_encode(thumb, "JPEG"),
        thumb_media_type="image/jpeg",
        original_format=fmt,
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    """The pixels alone, in ``fmt``: no EXIF, XMP, ICC profile or comment is written."""
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    elif fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    # A fresh image holds only pixels (and a palette): the source's info dict (exif,
    # icc_profile, dpi, comments) is not carried over.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": 85, "optimize": True}
    elif fmt == "WEBP":
        options = {"quality": 85}
    elif fmt == "PNG":
        options = {"optimize": True}
    out = io.BytesIO()
    clean.save(out, format=fmt, **options)
    return out.getvalue()


class PhotoStore(Protocol):
    """Where photo files live, by content-addressed key."""

    def put(self, key: str, data: bytes, media_type: str) -> None:
        """Store ``data`` under ``key`` (a no-op when it is already there)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key`` (:class:`PhotoNotFoundError` when missing)."""

    def describe(self) -> str:
        """Where the files go (for logs and health)."""


class LocalPhotoStore:
    """Photos in a folder (``<root>/ab/<sha256>.<ext>``), written atomically."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            msg = f"bad photo key {key!r}"
            raise PhotoNotFoundError(msg, field="photo")
        return path

    def put(self, key: str, data: bytes, media_type: str) -> None:
        """Write the file (temporary name, then rename); same key = same bytes."""
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """The file's bytes."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            msg = f"the photo file {key} is missing from {self.root}"
            raise PhotoNotFoundError(msg, field="photo") from None

    def describe(self) -> str:
        """The folder."""
        return f"folder {self.root}"


class S3PhotoStore:
    """Photos in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...) through boto3.

    Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role), never from our settings.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url

    def put(self, key: str, data: bytes, media_type: str) -> None:
        """Upload the object (content-addressed: an existing key holds the same bytes)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=data,
            ContentType=media_type,
            CacheControl="private, max-age=31536000, immutable",
        )

    def get(self, key: str) -> bytes:
        """Download the object."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            msg = f"the photo object {self.prefix}{key} is missing from bucket {self.bucket}"
            raise PhotoNotFoundError(msg, field="photo") from None
        body: bytes = answer["Body"].read()
        return body

    def describe(self) -> str:
        """Bucket, prefix and endpoint."""
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3 bucket {self.bucket}/{self.prefix}{where}"


def store_photo(store: PhotoStore, photo: ProcessedPhoto) -> None:
    """Write a photo and its thumbnail to ``store`` (before the report is written)."""
    store.put(photo_key(photo.sha256, photo.media_type), photo.data, photo.media_type)
    store.put(photo_key(photo.thumb_sha256, photo.thumb_media_type), photo.thumb, "image/jpeg")


__all__ = [
    "MAX_PIXELS",
    "LocalPhotoStore",
    "PhotoError",
    "PhotoNotFoundError",
    "PhotoStore",
    "PhotoTooLargeError",
    "PhotoTypeError",
    "ProcessedPhoto",
    "S3PhotoStore",
    "photo_key",
    "process_photo",
    "store_photo",
]
