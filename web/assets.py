"""Local JS and CSS of the map pages: nothing comes from a CDN.

Leaflet is the copy in the installed ``xstatic-leaflet`` package (the same 1.9.3 that
folium uses), served under ``/static/leaflet/``; our own scripts and styles are in
``web/static`` and served under ``/static/app/``.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

LEAFLET_DIR = Path(xleaflet.BASE_DIR)
APP_DIR = Path(__file__).resolve().parent / "static"
STATIC_ROOTS: dict[str, Path] = {"leaflet": LEAFLET_DIR, "app": APP_DIR}
LEAFLET_VERSION = str(xleaflet.VERSION)

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".map": "application/json",
}


def page_js(page: str, *, static_base: str = "/static") -> list[tuple[str, str]]:
    """(name, url) of the scripts a page loads, in order."""
    return [
        ("leaflet", f"{static_base}/leaflet/leaflet.js"),
        ("lgeo_common", f"{static_base}/app/common.js"),
        (f"lgeo_{page}", f"{static_base}/app/{page}.js"),
    ]


def page_css(*, static_base: str = "/static") -> list[tuple[str, str]]:
    """(name, url) of the stylesheets every page loads."""
    return [
        ("leaflet_css", f"{static_base}/leaflet/leaflet.css"),
        ("lgeo_css", f"{static_base}/app/app.css"),
    ]


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
