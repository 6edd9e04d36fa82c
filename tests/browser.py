"""Open a local HTML file in real headless Chromium (Debian's chromium + chromium-driver)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@dataclass
class PageCheck:
    images: list[dict]  # src prefix, naturalWidth, naturalHeight, complete
    console_errors: list[str]
    screenshot: Path
    title: str
    text: str


def require_chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip (or fail under CI) when they are missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        message = "headless Chromium not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must install it (.ci/run does)")
        pytest.skip(message)
    return browser, driver


@contextmanager
def chromium(profile: Path, width: int = 1000, height: int = 1200) -> Iterator:
    """A headless Chromium (a selenium driver) with its profile in ``profile``, logging the
    console; quit on leaving."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


IMAGES_JS = (
    "return Array.from(document.images).map(i => ({src: i.src.slice(0, 30), "
    "naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, complete: i.complete}));"
)


def console_errors(driver) -> list[str]:
    """The console's errors since the last call (the log is drained by reading it)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] in ("SEVERE", "ERROR")
    ]


def check_page(html_file: Path, screenshot: Path, width: int = 1000) -> PageCheck:
    """Load ``html_file``; report its images, console errors and a full-page screenshot."""
    with chromium(screenshot.parent / "chromium-profile", width) as driver:
        driver.get(html_file.resolve().as_uri())
        images = driver.execute_script(IMAGES_JS)
        errors = console_errors(driver)
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(width, min(int(height) + 100, 16000))
        driver.save_screenshot(str(screenshot))
        return PageCheck(
            images,
            errors,
            screenshot,
            driver.title,
            driver.execute_script("return document.body.innerText;"),
        )
