"""Response compression: brotli or gzip for text answers, never for binary ones.

:class:`CompressionMiddleware` compresses an answer when the client accepts it
(``Accept-Encoding``: ``br`` preferred, then ``gzip``; q-values honoured, ``q=0``
refuses), the answer is text — JSON, GeoJSON, JSON Schema, HTML, CSS, JavaScript, CSV,
SVG (:data:`COMPRESSIBLE`) — and at least :data:`MINIMUM_SIZE` bytes. MVT tiles (already
small and made of varints), PNG, GeoPackage and other binary answers pass unchanged, as
do answers that already carry a ``Content-Encoding`` (the precompressed static files of
:mod:`geo_api.routers.web`), ``204``/``304`` and ``HEAD`` answers.

- **Streaming** answers (more than one body message) are compressed as a stream, each
  chunk flushed at once, so a slow producer is not held back until the end.
- **ETag**: left as it is. The API's ETags name a version of the resource (a shipment's
  version, a tile's data fingerprint), the same in every encoding; ``Vary:
  Accept-Encoding`` keeps caches from mixing encodings. ``If-None-Match`` / 304 work as
  before.
- Levels: brotli quality 4 and gzip level 6 for answers made per request (a 600 KB
  GeoJSON takes ~5 ms either way); static files are compressed once, at brotli quality
  11 and gzip level 9 (:func:`compress` with ``best=True``), and kept in memory.
- Brotli comes from the ``brotli`` package (Google's bindings); without it only gzip is
  offered.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

try:  # pragma: no cover - brotli is a dependency; the fallback is for slim installs
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

MINIMUM_SIZE = 1024
"""Smaller answers are sent as they are (compression would save almost nothing)."""
COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/schema+json",
        "application/problem+json",
        "application/javascript",
        "application/xml",
        "image/svg+xml",
    }
)
"""Media types compressed besides every ``text/*`` (except ``text/event-stream``)."""
BROTLI_QUALITY, GZIP_LEVEL = 4, 6
BEST_BROTLI_QUALITY, BEST_GZIP_LEVEL = 11, 9


def encodings_offered() -> tuple[str, ...]:
    """The encodings this server can produce, preferred first."""
    return ("br", "gzip") if brotli is not None else ("gzip",)


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The encoding to answer with for an ``Accept-Encoding`` header, or None.

    ``br`` before ``gzip`` at equal q-value; ``*`` stands for any encoding not named;
    ``q=0`` refuses one.
    """
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            weights[name] = q
    best: tuple[float, str] | None = None
    for enc in encodings_offered():
        q = weights.get(enc, weights.get("*", 0.0))
        if q > 0 and (best is None or q > best[0]):
            best = (q, enc)
    return best[1] if best else None


def is_compressible(content_type: str | None) -> bool:
    """Whether answers of this ``Content-Type`` are worth compressing."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media.startswith("text/"):
        return media != "text/event-stream"
    return media in COMPRESSIBLE


def compress(data: bytes, encoding: str, *, best: bool = False) -> bytes:
    """``data`` compressed with ``encoding`` (``br`` or ``gzip``) in one go."""
    if encoding == "br" and brotli is not None:
        quality = BEST_BROTLI_QUALITY if best else BROTLI_QUALITY
        result: bytes = brotli.compress(data, quality=quality)
        return result
    if encoding == "gzip":
        level = BEST_GZIP_LEVEL if best else GZIP_LEVEL
        stream = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return stream.compress(data) + stream.flush()
    msg = f"unknown encoding {encoding!r}"
    raise ValueError(msg)


class _Stream(Protocol):
    def chunk(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


class _GzipStream:
    def __init__(self) -> None:
        self._z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def chunk(self, data: bytes) -> bytes:
        return self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _BrotliStream:
    def __init__(self) -> None:
        assert brotli is not None
        self._c: Any = brotli.Compressor(quality=BROTLI_QUALITY)

    def chunk(self, data: bytes) -> bytes:
        out: bytes = self._c.process(data) + self._c.flush()
        return out

    def finish(self) -> bytes:
        out: bytes = self._c.finish()
        return out


def _stream(encoding: str) -> _Stream:
    return _BrotliStream() if encoding == "br" else _GzipStream()


class CompressionMiddleware:
    """Compress text answers with brotli or gzip (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        encoding = choose_encoding(Headers(scope=scope).get("accept-encoding"))
        start: Message | None = None
        stream: _Stream | None = None
        passthrough = False

        async def send_compressed(message: Message) -> None:
            nonlocal start, stream, passthrough
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or passthrough:
                await send(message)
                return
            if stream is not None:
                body = message.get("body", b"")
                more = message.get("more_body", False)
                out = stream.chunk(body) if body else b""
                if not more:
                    out += stream.finish()
                if out or not more:
                    await send({"type": "http.response.body", "body": out, "more_body": more})
                return
            # the first body message decides
            assert start is not None
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            body = message.get("body", b"")
            more = message.get("more_body", False)
            status = start.get("status", 200)
            candidate = (
                is_compressible(headers.get("content-type"))
                and "content-encoding" not in headers
                and status not in (204, 206, 304)
            )
            if candidate:
                headers.add_vary_header("Accept-Encoding")
            if not candidate or encoding is None or (not more and len(body) < self.minimum_size):
                passthrough = True
                await send({**start, "headers": headers.raw})
                await send(message)
                return
            headers["Content-Encoding"] = encoding
            if not more:
                data = compress(body, encoding)
                headers["Content-Length"] = str(len(data))
                passthrough = True  # nothing more to do for this answer
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": data, "more_body": False})
                return
            del headers["Content-Length"]
            stream = _stream(encoding)
            await send({**start, "headers": headers.raw})
            await send(
                {"type": "http.response.body", "body": stream.chunk(body), "more_body": True}
            )

        await self.app(scope, receive, send_compressed)
        if start is not None and stream is None and not passthrough:
            # an answer that ended without a body message: send what was held
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
