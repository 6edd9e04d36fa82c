"""The documentation site: built by ``scripts/build-docs`` (warnings are errors, the gallery's
examples run), then read in headless Chromium: every internal link followed to a page or file
that exists (and to an anchor that exists on it), every image decoded, no console error."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser import IMAGES_JS, chromium, console_errors, require_chromium

ROOT = Path(__file__).resolve().parents[2]

PAGE_JS = """
return {
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.name),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  title: document.title,
};
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once into a temporary folder."""
    try:
        import numpydoc  # noqa: F401
        import sphinx  # noqa: F401
        import sphinx_gallery  # noqa: F401
    except ImportError:
        message = "the docs extra is not installed (pip install -e '.[docs]')"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI installs the dev extras, which include it")
        pytest.skip(message)
    require_chromium()
    out = tmp_path_factory.mktemp("site")
    started = time.perf_counter()
    build = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-docs")],
        env={**os.environ, "DOCS_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-5000:]
    print(f"docs built in {time.perf_counter() - started:.1f} s")
    return out


def _internal(url: str, site: Path) -> tuple[Path, str] | None:
    """The file and fragment a link points to inside the site; None for other links."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    return (path, parts.fragment) if path.is_relative_to(site) else None


def _crawl(driver, site: Path) -> dict:
    """Visit every HTML page reachable from index.html; what each holds and links to."""
    pages: dict[Path, dict] = {}
    links: list[tuple[Path, Path, str]] = []  # (from page, to file, fragment)
    queue = deque([site / "index.html"])
    while queue:
        page = queue.popleft()
        if page in pages or not page.is_file() or page.suffix != ".html":
            continue
        driver.get(page.as_uri())
        found = driver.execute_script(PAGE_JS)
        found["images"] = driver.execute_script(IMAGES_JS)
        found["errors"] = console_errors(driver)
        pages[page] = found
        for url in found["links"]:
            target = _internal(url, site)
            if target:
                links.append((page, *target))
                queue.append(target[0])
    return {"pages": pages, "links": links}


def test_site_links_images_and_console(site):
    with chromium(site.parent / "chromium-profile") as driver:
        crawl = _crawl(driver, site)
    pages, links = crawl["pages"], crawl["links"]
    names = {p.relative_to(site).as_posix() for p in pages}
    # the guide, the gallery and the API reference are all reachable from the front page
    assert {"math.html", "estimators.html", "reliability.html", "api/index.html"} <= names
    assert "auto_examples/plot_digits_classifier.html" in names
    assert any(n.startswith("api/generated/scratchnet.nn.activations") for n in names)
    images = [i for found in pages.values() for i in found["images"]]
    assert len(pages) > 50 and len(images) > 10, (len(pages), len(images))

    broken = [f"{src.name} -> {dst}" for src, dst, _ in links if not dst.exists()]
    assert broken == [], broken[:10]
    missing_anchors = [
        f"{src.relative_to(site)} -> {dst.relative_to(site)}#{fragment}"
        for src, dst, fragment in links
        if fragment and dst in pages and fragment not in pages[dst]["ids"]
    ]
    assert missing_anchors == [], missing_anchors[:10]

    undecoded = [
        (page.relative_to(site), image["src"])
        for page, found in pages.items()
        for image in found["images"]
        if not (image["complete"] and image["naturalWidth"] > 0)
    ]
    assert undecoded == [], undecoded[:10]
    errors = {str(p.relative_to(site)): f["errors"] for p, f in pages.items() if f["errors"]}
    assert errors == {}, errors


def test_site_shows_the_math_as_mathml_and_the_gallery_ran(site):
    math_page = (site / "math.html").read_text(encoding="utf-8")
    assert math_page.count("<math ") > 40  # rendered at build time: no raw TeX, no CDN
    assert "$\\" not in math_page and "\\frac" not in math_page
    assert not re.search(r"<script[^>]*src=\"(https?:)?//", math_page)  # nothing from the web
    digits = (site / "auto_examples" / "plot_digits_classifier.html").read_text(encoding="utf-8")
    assert "test accuracy: 0.9" in digits  # the example's printed output, from this build
    assert (site / "_images").is_dir() and any((site / "_images").glob("sphx_glr_plot_*.png"))
