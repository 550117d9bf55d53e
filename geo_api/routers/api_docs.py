"""The API documentation page, served offline: ``/docs`` (Swagger UI).

FastAPI's own pages load Swagger UI and ReDoc from jsDelivr and start them with an
inline script, so they are blank on an offline network and need ``'unsafe-inline'``
scripts. Here Swagger UI 5 comes from the installed ``fastapi-offline`` package (only
its ``static`` folder is used, not its Python code) and is started by our own script in
``geo_api/static``, so the page runs under ``script-src 'self'`` and never reaches the
internet. ``/redoc`` is not served: ReDoc loads its logo from its CDN whatever the
options, and one offline viewer is enough (the OpenAPI document itself is
``/openapi.json``).

The page links the OpenAPI document relatively (``openapi.json``), so it works behind
a reverse proxy with a path prefix too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from geo_api.errors import StaticNotFoundError

router = APIRouter(include_in_schema=False)

_OWN = Path(__file__).resolve().parent.parent / "static"


def _vendor_dir() -> Path | None:
    """``fastapi_offline/static`` without importing the package (it imports nothing we need)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if folder.is_dir() else None


_VENDOR = _vendor_dir()
#: The only files served under ``/docs/assets/``: name -> (folder, media type).
ASSETS: dict[str, tuple[Path | None, str]] = {
    "swagger-ui-bundle.js": (_VENDOR, "text/javascript; charset=utf-8"),
    "swagger-ui.css": (_VENDOR, "text/css; charset=utf-8"),
    "swagger-init.js": (_OWN, "text/javascript; charset=utf-8"),
}

_SWAGGER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lampung-geo API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui" data-openapi="openapi.json"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/swagger-init.js"></script>
</body></html>
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI for ``/openapi.json``, from local assets."""
    return HTMLResponse(_SWAGGER_HTML)


@router.get("/docs/assets/{name}")
def asset(name: str) -> FileResponse:
    """One file of :data:`ASSETS` (anything else is 404)."""
    folder, media_type = ASSETS.get(name, (None, ""))
    if folder is None or not (folder / name).is_file():
        msg = f"no documentation asset {name!r}"
        raise StaticNotFoundError(msg, field="name")
    return FileResponse(
        folder / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
