"""Markdown rendering is sanitised: scripts, event handlers and javascript: links never reach a page."""

from html.parser import HTMLParser

import pytest

from app.content.render import render_markdown, sanitise


class Elements(HTMLParser):
    """Collect (tag, attrs) of every element in an HTML string."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    '<div onclick="alert(1)">x</div>',
    "::: case <script>alert(1)</script>\ntext\n:::",
]


@pytest.mark.parametrize("source", ATTACKS)
def test_attacks_are_neutralised(source):
    elements = Elements(render_markdown(source)).found
    assert not [tag for tag, _ in elements if tag in ("script", "iframe", "img")]
    assert not [name for _, attrs in elements for name in attrs if name.startswith("on")]
    assert not [a for _, a in elements if (a.get("href") or "").strip().lower().startswith("javascript")]


def test_sanitise_strips_raw_html_handlers_even_when_injected_after_render():
    html = sanitise('<p onclick="x()">hi</p><a href="javascript:x()">a</a><script>x()</script>')
    assert html == '<p>hi</p><a rel="noopener noreferrer">a</a>'


def test_tables_lists_quotes_and_boxes_render():
    html = render_markdown(
        "| 类型 | 特点 |\n|---|---|\n| 理性型 | 重数据 |\n\n1. 一\n2. 二\n\n> 客户：你好\n\n::: tip 要点\n先处理心情\n:::"
    )
    assert '<table class="table table-bordered table-sm">' in html
    assert "<ol>" in html and "<blockquote>" in html
    assert '<div class="box box-tip">' in html and '<p class="box-title">要点</p>' in html


def test_internal_links_kept_and_classes_limited():
    html = render_markdown('[自测](/quizzes/empathy)\n\n<div class="evil">x</div>')
    assert '<a href="/quizzes/empathy" rel="noopener noreferrer">自测</a>' in html
    assert not [a for _, a in Elements(html).found if a.get("class") == "evil"]
