"""Request hygiene and security headers, as two small ASGI middlewares.

:class:`RequestHygieneMiddleware` checks every request once, at the door, before any
router sees it:

- **control characters**: a NUL byte or another control character (U+0000-U+001F,
  U+007F) in the path, in a query parameter's name or value, in a header value, or in
  any string of a JSON body (keys included, at any depth) is answered 400 naming the
  field. Tab, CR and LF are allowed in the free-text body fields of
  :data:`FREE_TEXT_FIELDS` (a shipment ``note``) and tab in header values (RFC 9110).
  Lone UTF-16 surrogates (``"\\ud800"``), which no database can store, are refused too;
- **body size**: a body larger than ``max_body_bytes`` is answered 413 (from
  ``Content-Length`` before reading, or while reading a chunked body); a route may have
  its own limit (``body_limits``: ``POST /reports`` takes a photo);
- **nesting**: a JSON body too deeply nested to parse is answered 400 (by the JSON
  parser; a body this module parses is also held to :data:`MAX_JSON_DEPTH` levels);
- **the public address**: the ``Host`` header is replaced by the configured public URL,
  by the ``X-Forwarded-*`` headers of a trusted proxy, or by the address the server
  listens on, so links in answers never echo a client's ``Host``.

The common case costs little: a query string or body without a ``%`` escape / JSON
escape of a control character is scanned by one regular expression and never parsed.

:class:`SecurityHeadersMiddleware` adds ``X-Content-Type-Options``,
``Referrer-Policy``, ``X-Frame-Options`` and a ``Content-Security-Policy`` to every
response that does not set its own (the map pages set one with the hashes of their
inline scripts, see :mod:`web.csp`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_api.errors import (
    BadCharacterError,
    InvalidBodyError,
    PayloadTooLargeError,
    domain_response,
    header_name,
)
from geo_api.settings import ApiSettings

FREE_TEXT_FIELDS = frozenset({"note"})
"""Body fields whose text may hold tab, CR and LF."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays/objects a JSON body may have (ours use 3)."""

# Percent-escapes of C0 controls and DEL in a raw query string.
_QUERY_CTL = re.compile(rb"%(?:[01][0-9A-Fa-f]|7[Ff])")
_TEXT_CTL = re.compile(r"[\x00-\x1f\x7f]")
_NOTE_CTL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_HEADER_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# A JSON escape that decodes to a control character or a surrogate, not preceded by an
# odd number of backslashes (``\\u0000`` is the text backslash-u0000, not a NUL).
_JSON_CTL = re.compile(
    rb"(?<!\\)(?:\\\\)*\\(?:u(?:00[01][0-9A-Fa-f]|007[Ff]|[Dd][89A-Fa-f][0-9A-Fa-f]{2})|[bfnrt])"
)
_HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~\-]+)*$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
"""The policy of every non-HTML answer (JSON, GeoJSON, CSV, MVT, scripts)."""
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""/docs (:mod:`geo_api.routers.api_docs`): Swagger UI from local files, started by our
own script (no inline script); Swagger UI sets inline styles."""
HTML_FALLBACK_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs"})
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
"""Headers every answer carries. ``strict-origin-when-cross-origin`` (not
``no-referrer``): tile servers such as OpenStreetMap's require a Referer naming the
site, and this sends only its origin."""


def _printable(name: str) -> str:
    return name.encode("unicode_escape").decode("ascii")


def _describe(ch: str) -> str:
    return "a NUL byte" if ch == "\x00" else f"the control character U+{ord(ch):04X}"


def _bad_text(value: str, *, field: str, pattern: re.Pattern[str] = _TEXT_CTL) -> None:
    found = pattern.search(value)
    if found is not None:
        msg = f"{field} contains {_describe(found.group())}; control characters are not allowed"
        raise BadCharacterError(msg, field=field)
    if _SURROGATE.search(value):
        msg = f"{field} contains a lone UTF-16 surrogate, which is not text"
        raise BadCharacterError(msg, field=field)


def check_path(path: str) -> None:
    """Refuse a URL path holding a control character (``/static/app/%00.js``)."""
    _bad_text(path, field="path")


def check_query(raw: bytes) -> None:
    """Refuse a query string with a control character in a name or value."""
    if not _QUERY_CTL.search(raw):
        return
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="replace")
    for name, value in pairs:
        field = _printable(name) or "query"
        _bad_text(name, field=field)
        _bad_text(value, field=field)


def check_headers(headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Refuse a header value with a control character other than tab."""
    for name, value in headers:
        found = _HEADER_CTL.search(value)
        if found is not None:
            field = header_name(name.decode("latin-1"))
            ch = chr(found.group()[0])
            msg = f"header {field} contains {_describe(ch)}"
            raise BadCharacterError(msg, field=field)


def check_json_text(value: Any, *, path: str = "") -> None:
    """Refuse control characters and lone surrogates in every string of a JSON value.

    Walks the value iteratively; the field of an error is the dotted path
    (``candidates.3``, ``attributes.name``). Keys are checked like values.
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            msg = f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
            raise InvalidBodyError(msg, field=where or "body")
        if isinstance(item, str):
            leaf = where.rsplit(".", 1)[-1]
            pattern = _NOTE_CTL if leaf in FREE_TEXT_FIELDS else _TEXT_CTL
            _bad_text(item, field=where or "body", pattern=pattern)
        elif isinstance(item, dict):
            for key, sub in item.items():
                key_s = str(key)
                _bad_text(key_s, field=f"{where}.{_printable(key_s)}".lstrip("."))
                stack.append((sub, f"{where}.{key_s}".lstrip("."), depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}.{i}".lstrip("."), depth + 1) for i, sub in enumerate(item))


def check_json_body(body: bytes) -> None:
    """Check a JSON body's strings and nesting (parsed only when it could fail)."""
    if b"\x7f" not in body and (b"\\" not in body or not _JSON_CTL.search(body)):
        # No string can hold a control character (raw C0 bytes are not valid JSON; DEL
        # may stand raw): nothing to parse here.
        return
    try:
        value = json.loads(body)
    except RecursionError:
        msg = f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
        raise InvalidBodyError(msg, field="body") from None
    except ValueError:
        return  # not JSON: the route's own parsing answers it
    check_json_text(value)


def _is_json(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class PublicAddress:
    """Where clients reach the service: from settings, a trusted proxy or the socket."""

    def __init__(self, settings: ApiSettings) -> None:
        self.fixed: tuple[str, str, str] | None = None
        if settings.public_url:
            url = urlsplit(settings.public_url)
            self.fixed = (url.scheme, url.netloc, url.path.rstrip("/"))
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]

    def client_address(self, scope: Scope) -> str:
        """The client's address: the socket peer, or, when that peer is a trusted proxy,
        the nearest untrusted address of ``X-Forwarded-For`` (read from the right)."""
        client = scope.get("client")
        peer = str(client[0]) if client else ""
        if not self._trusted(client):
            return peer
        forwarded = [
            v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"
        ]
        hops = [h.strip() for line in forwarded for h in line.split(",") if h.strip()]
        for hop in reversed(hops):
            try:
                addr = ipaddress.ip_address(hop)
            except ValueError:
                return peer  # a forged or broken header: count the proxy itself
            if not any(addr in net for net in self.proxies):
                return str(addr)
        return peer

    def _trusted(self, client: Any) -> bool:
        if not self.proxies or not client:
            return False
        try:
            addr = ipaddress.ip_address(str(client[0]))
        except ValueError:
            return False
        return any(addr in net for net in self.proxies)

    def resolve(self, scope: Scope) -> tuple[str, str, str]:
        """``(scheme, host[:port], path prefix)`` for this request."""
        if self.fixed is not None:
            return self.fixed
        scheme = str(scope.get("scheme", "http"))
        if self._trusted(scope.get("client")):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            host = headers.get("x-forwarded-host", "").split(",")[0].strip()
            proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            prefix = headers.get("x-forwarded-prefix", "").split(",")[0].strip().rstrip("/")
            if host and _HOST.match(host):
                return (
                    proto if proto in ("http", "https") else scheme,
                    host,
                    prefix if _PREFIX.match(prefix) else "",
                )
        return scheme, _server_host(scope, scheme), ""


def _server_host(scope: Scope, scheme: str) -> str:
    server = scope.get("server")
    if not server:
        return "localhost"
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


class RequestHygieneMiddleware:
    """Refuse bad bytes at the door and pin the request's public address."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: ApiSettings,
        body_limits: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.body_limits = dict(body_limits or {})
        self.address = PublicAddress(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = self._pin_address(scope)
        try:
            check_path(scope.get("path", ""))
            check_query(scope.get("query_string", b""))
            check_headers(scope.get("headers", ()))
        except (BadCharacterError, InvalidBodyError) as exc:
            await domain_response(exc)(scope, receive, send)
            return
        if scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
            if body and _is_json(scope["headers"]):
                check_json_body(body)
        except (BadCharacterError, InvalidBodyError, PayloadTooLargeError) as exc:
            await domain_response(exc)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _pin_address(self, scope: Scope) -> Scope:
        # In place, as Starlette's own router does: the outer middleware (metrics, logs)
        # reads what the router adds to this same scope (the matched route).
        scheme, host, prefix = self.address.resolve(scope)
        headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"host"]
        headers.append((b"host", host.encode("latin-1")))
        scope["headers"] = headers
        scope["scheme"] = scheme
        if prefix:
            scope["root_path"] = prefix
        return scope

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        path = str(scope.get("path", "")).rstrip("/") or "/"
        limit = self.body_limits.get((str(scope.get("method")), path), self.max_body)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    raise PayloadTooLargeError(_too_large(limit), field="body")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(_too_large(limit), field="body")
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SecurityHeadersMiddleware:
    """Add the security headers (and a CSP) to every answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = with_security_headers(
                    list(message.get("headers", ())), path=path
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(headers: list[tuple[bytes, bytes]], *, path: str) -> list[Any]:
    """``headers`` plus those of :data:`SECURITY_HEADERS` and a CSP it does not have."""
    present = {k.lower() for k, _ in headers}
    for name, value in SECURITY_HEADERS.items():
        key = name.lower().encode("latin-1")
        if key not in present:
            headers.append((key, value.encode("latin-1")))
    if b"content-security-policy" not in present:
        ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if path in DOCS_PATHS:
            csp = DOCS_CSP
        elif ctype.startswith(b"text/html"):
            csp = HTML_FALLBACK_CSP
        else:
            csp = JSON_CSP
        headers.append((b"content-security-policy", csp.encode("latin-1")))
    return headers


def install_middleware(
    app: FastAPI, settings: ApiSettings, *, body_limits: dict[tuple[str, str], int] | None = None
) -> None:
    """Register both middlewares (security headers outermost); ``body_limits`` gives
    routes (method, path) their own body limit."""
    app.add_middleware(RequestHygieneMiddleware, settings=settings, body_limits=body_limits)
    app.add_middleware(SecurityHeadersMiddleware)
