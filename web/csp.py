"""The Content-Security-Policy of a map page.

The pages load every script and stylesheet from their own origin (``/static``); the
only other origin they use is the base-map tile server, for images. Folium writes a
few inline ``<script>`` and ``<style>`` blocks (the map's set-up, its size): the policy
allows exactly those, by their SHA-256 hashes, and nothing else inline — no inline
event handlers, no ``style=""`` attributes, no ``eval``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style[^>]*>(?P<body>.*?)</style>", re.DOTALL | re.IGNORECASE)


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_hashes(html: str) -> tuple[list[str], list[str]]:
    """CSP hash sources of the page's inline scripts and of its ``<style>`` blocks.

    Scripts with a ``src`` and data blocks (``type="application/json"``) are not
    executed inline and need no hash.
    """
    scripts = []
    for m in _SCRIPT.finditer(html):
        attrs = m.group("attrs").lower()
        if "src=" in attrs or "application/json" in attrs:
            continue
        scripts.append(_hash(m.group("body")))
    styles = [_hash(m.group("body")) for m in _STYLE.finditer(html)]
    return sorted(set(scripts)), sorted(set(styles))


def tile_origin(tile_url: str) -> str | None:
    """The origin of a tile URL template (``{s}`` subdomains become a ``*.`` wildcard)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = parts.hostname or ""
    if not parts.scheme or not host:
        return None  # a relative URL: tiles from our own origin
    if "{s}" in parts.netloc:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    host = host.replace("{s}", "*")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def page_policy(html: str, *, tile_url: str) -> str:
    """The Content-Security-Policy header of ``html``, a page built by :mod:`web.pages`."""
    scripts, styles = inline_hashes(html)
    tiles = tile_origin(tile_url)
    img = ["'self'", "data:"] + ([tiles] if tiles else [])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(["'self'", *scripts]),
            "style-src " + " ".join(["'self'", *styles]),
            "img-src " + " ".join(img),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
