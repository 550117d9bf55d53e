"""/docs works offline: local assets, no inline script, every operation shown.

An independent check of what the pages show: the operation ids of the OpenAPI document
the server publishes must all appear in the rendered Swagger UI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.browser


def _open(browser: Any, url: str, ready: str) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    response = page.goto(url)
    page.wait_for_selector(ready, timeout=30_000)
    return context, page, outside, errors + ([] if response.ok else [str(response.status)])


def test_swagger_ui_offline(browser: Any, live_url: str) -> None:
    spec = httpx.get(live_url + "/openapi.json").json()
    ids = {
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    context, page, outside, errors = _open(browser, live_url + "/docs", ".opblock")
    try:
        assert outside == [] and errors == []
        assert page.evaluate("window.__csp") == []
        shown = set(page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)"))
        missing = [i for i in ids if not any(s.endswith(i) for s in shown)]
        assert len(ids) > 20 and missing == []
    finally:
        context.close()
    headers = httpx.get(live_url + "/docs").headers
    assert "unsafe-inline" not in headers["content-security-policy"].split("style-src")[0]


def test_redoc_not_served(live_url: str) -> None:
    assert httpx.get(live_url + "/redoc").status_code == 404


@pytest.mark.parametrize("name", ["../app.py", "swagger-ui.css.map", "redoc.standalone.js", "x.js"])
def test_only_known_assets(live_url: str, name: str) -> None:
    assert httpx.get(f"{live_url}/docs/assets/{name}").status_code == 404
