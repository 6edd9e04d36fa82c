"""The report's renderers, and the HTML report opened in a real browser."""

from scratchnet.report import html, markdown
from scratchnet.report.build import write_report
from scratchnet.report.document import Cell, Document, Figure, Note, Section, Table
from scratchnet.studies import worked_examples
from scratchnet.studies.views import complete_views

from browser import check_page


def test_html_escapes_text_and_highlights_cells(tmp_path):
    doc = Document(
        "T <1>",
        "sub",
        [("k", "v & w")],
        [
            Section(
                "S",
                [
                    Table(
                        ["a", "b"], [["<script>", Cell("0.9", "good")], ["x", Cell("0.1", "bad")]]
                    ),
                    Note("**bold** and `code`", "differs"),
                ],
                anchor="s",
            )
        ],
    )
    page = html.render(doc)
    assert "<script>" not in page.split("<style>")[1].split("</main>")[0]
    assert "&lt;script&gt;" in page and "v &amp; w" in page
    assert '<td class="good num">0.9</td>' in page and '<td class="bad num">0.1</td>' in page
    assert "<strong>bold</strong>" in page and "<code>code</code>" in page
    md = markdown.render(doc, tmp_path)
    assert "| \\<script\\> | 0.9 ▲ |" in md and "> **Differs from the original study:**" in md


def test_figures_are_embedded_in_html_and_linked_in_markdown(tmp_path):
    png = tmp_path / "figs" / "a.png"
    worked_examples.run(tmp_path / "a")
    png.parent.mkdir()
    png.write_bytes((tmp_path / "a" / "svm.png").read_bytes())
    doc = Document("T", "s", [], [Section("S", [Figure(png, "cap")])])
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html.render(doc)
    assert "![cap](figs/a.png)" in markdown.render(doc, tmp_path)


def test_report_opens_in_chromium_with_every_image_decoded(tmp_path):
    worked_examples.run(tmp_path / "section_a")
    complete_views(tmp_path)  # report.json, as `scratchnet report` and `reproduce` write it
    html_path, md_path = write_report(tmp_path)
    assert md_path.read_text().startswith("# scratchnet")
    page = check_page(html_path, tmp_path / "screenshot.png")
    assert page.images, "the report should hold figures"
    assert all(i["complete"] and i["naturalWidth"] > 0 for i in page.images), page.images
    assert page.console_errors == []
    assert (
        page.screenshot.read_bytes()[:4] == b"\x89PNG" and page.screenshot.stat().st_size > 10_000
    )
    assert "Section A: worked examples" in page.text and "16.3213" in page.text
