"""What the logistics and planning browser tests share: a page opened in chromium with
its console errors, CSP violations and outside requests recorded, and the viewports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
MONTHS = {
    "id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


@dataclass
class Opened:
    """A page opened in chromium and what it did."""

    page: Any
    context: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def clean(self, *, provoked: tuple[int, ...] = ()) -> None:
        """No console error, no CSP violation, nothing asked of another host.

        ``provoked``: HTTP statuses the test caused on purpose (chromium logs each
        4xx answer of our own server as "Failed to load resource").
        """
        errors = [
            e
            for e in self.console_errors
            if not any(f"status of {code} " in e and "127.0.0.1" in e for code in provoked)
        ]
        assert errors == [], errors
        csp = self.page.evaluate("window.__csp")
        assert csp == [], f"Content-Security-Policy violations: {csp}"
        assert self.outside == [], self.outside


def open_page(browser: Any, url: str, viewport: dict[str, int], lang: str) -> Opened:
    """Open ``url`` (tiles of other hosts are aborted, as offline) and wait until ready."""
    context = browser.new_context(viewport=viewport, locale="id-ID" if lang == "id" else "en-GB")
    page = context.new_page()
    opened = Opened(page, context)

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            opened.requests.append(r.request.url)
            r.continue_()
            return
        if "tile" not in r.request.url:
            opened.outside.append(r.request.url)
        r.abort()

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        where = urlsplit(msg.location.get("url", "")).hostname
        if where not in (None, "", "127.0.0.1") and "Failed to load resource" in msg.text:
            return  # the aborted base-map tiles
        opened.console_errors.append(f"{msg.text} @ {msg.location}")

    context.route("**/*", route)
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.on("console", on_console)
    page.on("pageerror", lambda exc: opened.console_errors.append(f"page error: {exc}"))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30_000)
    return opened


def wib(iso: str, lang: str) -> str:
    """``30 Nov 2026 12.54 WIB`` (en: ``12:54``), written out here: UTC + 7 hours."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    utc = when - (when.utcoffset() or timedelta(0))
    w = utc.replace(tzinfo=None) + timedelta(hours=7)
    sep = "." if lang == "id" else ":"
    return f"{w.day} {MONTHS[lang][w.month - 1]} {w.year} {w.hour:02d}{sep}{w.minute:02d} WIB"


def duration(seconds: float, lang: str) -> str:
    """``6 j 40 mnt`` / ``6 h 40 min`` (under an hour: ``40 mnt``)."""
    total = round(seconds / 60)
    h, m = divmod(total, 60)
    hu, mu = ("j", "mnt") if lang == "id" else ("h", "min")
    if h == 0:
        return f"{m} {mu}"
    return f"{h} {hu}" + (f" {m} {mu}" if m else "")


def number(value: float, lang: str, digits: int = 0) -> str:
    """A number as the page writes it: ``1.234`` (id) or ``1,234`` (en)."""
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A full-page screenshot in tests/artifacts/ for a person to look at."""
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"{name}.png"))
