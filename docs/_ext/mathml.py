"""Render the site's math as MathML at build time (Chromium, Firefox and Safari draw it).

No JavaScript and nothing fetched from a CDN: the site reads offline, and the browser test
sees no failed network request. LaTeX goes through ``latex2mathml``; a formula it cannot
convert fails the build (with ``-W``) instead of showing raw TeX.
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _mathml(self, node: nodes.Element, display: str) -> str:
    latex = node.astext()
    try:
        return convert(latex, display=display)
    except Exception as exc:  # any converter failure is a build warning, not a crash
        logger.warning("cannot convert math %r to MathML: %s", latex, exc, location=node)
        return f"<code>{self.encode(latex)}</code>"


def visit_inline(self, node: nodes.Element) -> None:
    self.body.append(_mathml(self, node, "inline"))
    raise nodes.SkipNode


def visit_block(self, node: nodes.Element) -> None:
    anchor = f' id="{node["ids"][0]}"' if node.get("ids") else ""
    self.body.append(f'<div class="math"{anchor}>{_mathml(self, node, "block")}</div>')
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer("mathml", (visit_inline, None), (visit_block, None))
    app.config.html_math_renderer = "mathml"
    return {"parallel_read_safe": True, "parallel_write_safe": True}
