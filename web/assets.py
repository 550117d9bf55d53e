"""Local JS and CSS of the map pages: nothing comes from a CDN.

Leaflet is the copy in the installed ``xstatic-leaflet`` package (the same 1.9.3 that
folium uses), served under ``/static/leaflet/``; our own scripts, styles and the
favicon are in ``web/static`` and served under ``/static/app/``.

Page URLs of these files carry ``?v=<first 12 hex digits of the SHA-256 of the file>``
(:func:`versioned`): the server answers such a URL with a year-long ``immutable``
cache, since a changed file gets another URL; plain URLs are cached for an hour and
revalidated with their ``ETag``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

LEAFLET_DIR = Path(xleaflet.BASE_DIR)
APP_DIR = Path(__file__).resolve().parent / "static"
STATIC_ROOTS: dict[str, Path] = {"leaflet": LEAFLET_DIR, "app": APP_DIR}
LEAFLET_VERSION = str(xleaflet.VERSION)
FAVICON = APP_DIR / "favicon.ico"

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".map": "application/json",
}


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def file_version(found: Path) -> str:
    """A short content hash of a static file (recomputed when the file changes)."""
    st = found.stat()
    return _digest(str(found), st.st_mtime_ns, st.st_size)


def versioned(package: str, path: str, *, static_base: str = "/static") -> str:
    """The URL of a static file with its content version (``?v=``)."""
    found = static_file(package, path)
    suffix = f"?v={file_version(found)}" if found is not None else ""
    return f"{static_base}/{package}/{path}{suffix}"


def page_js(page: str, *, static_base: str = "/static") -> list[tuple[str, str]]:
    """(name, url) of the scripts a page loads, in order."""
    return [
        ("leaflet", versioned("leaflet", "leaflet.js", static_base=static_base)),
        ("lgeo_common", versioned("app", "common.js", static_base=static_base)),
        (f"lgeo_{page}", versioned("app", f"{page}.js", static_base=static_base)),
    ]


def page_css(*, static_base: str = "/static") -> list[tuple[str, str]]:
    """(name, url) of the stylesheets every page loads."""
    return [
        ("leaflet_css", versioned("leaflet", "leaflet.css", static_base=static_base)),
        ("lgeo_css", versioned("app", "app.css", static_base=static_base)),
    ]


def favicon_links(*, static_base: str = "/static") -> str:
    """``<link rel="icon">`` elements of every page (SVG, and the ICO for old browsers)."""
    svg = versioned("app", "favicon.svg", static_base=static_base)
    ico = versioned("app", "favicon.ico", static_base=static_base)
    return (
        f'<link rel="icon" href="{svg}" type="image/svg+xml">'
        f'<link rel="icon" href="{ico}" sizes="16x16 32x32">'
    )


def static_file(package: str, path: str) -> Path | None:
    """The file ``path`` of a static package, or None (unknown, missing or outside it)."""
    root = STATIC_ROOTS.get(package)
    if root is None or not path or "\\" in path:
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    if candidate.suffix not in MEDIA_TYPES:
        return None
    return candidate
