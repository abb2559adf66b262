"""A real Chromium (Debian's package) driven by Playwright against Django's live server.

Playwright cannot download its own browser here; CI installs `chromium` with apt-get. One
Playwright instance serves the whole test session (a second one in the same process fails),
so every browser test uses the ``page`` fixture from tests/conftest.py.
Screenshots go to a temporary folder, and to docs/screenshots/ when PORTO_UPDATE_SCREENSHOTS=1.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PORTO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def launch_browser(playwright):
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def save_screenshot(page, folder: Path, name: str, *, full_page: bool = True) -> Path:
    """The whole page, or with ``full_page=False`` only the window (for a long list)."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("PORTO_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOT_DIR / path.name)
    return path


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
