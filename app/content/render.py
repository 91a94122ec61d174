"""Markdown to safe HTML, once, at load time."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.container import container_plugin

BOXES = ("case", "tip", "warning")
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "div": {"class"},
    "p": {"class"},
    "table": {"class"},
    "ol": {"start"},
    "th": {"scope"},
}
BOX_CLASSES = {f"box box-{name}" for name in BOXES} | {"box-title", "table table-bordered table-sm"}


def _box_renderer(name: str):
    def render(self, tokens, idx, _options, env):
        token = tokens[idx]
        if token.nesting == 1:
            title = token.info.strip()[len(name) :].strip()
            escaped = escapeHtml(title)
            heading = f'<p class="box-title">{escaped}</p>\n' if title else ""
            return f'<div class="box box-{name}">\n{heading}'
        return "</div>\n"

    return render


def _table_class(state) -> None:
    for token in state.tokens:
        if token.type == "table_open":
            token.attrSet("class", "table table-bordered table-sm")
        elif token.type == "th_open":
            token.attrs.pop("style", None)
            token.attrSet("scope", "col")
        elif token.type == "td_open":
            token.attrs.pop("style", None)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    for name in BOXES:
        md.use(
            container_plugin,
            name=name,
            validate=lambda params, *_, n=name: params.strip().split(" ", 1)[0] == n,
            render=_box_renderer(name),
        )
    md.core.ruler.push("table_class", _table_class)
    return md


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        return value if value in BOX_CLASSES else None
    return value


def sanitise(html: str) -> str:
    """Clean HTML with an allow-list."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render CommonMark (+tables, boxes) and sanitise the result."""
    return sanitise(_parser().render(text or ""))


LINK_RE = re.compile(r"\]\((/(?:quizzes|roleplays|courses)/[a-z0-9-]+)[^)]*\)")


def internal_links(text: str) -> list[str]:
    """The platform-internal link targets in a Markdown text."""
    return LINK_RE.findall(text or "")


GLOSSARY_LINK_RE = re.compile(r"\]\(/glossary#([^)\s]*)[^)]*\)")


def glossary_links(text: str) -> list[tuple[str, int]]:
    """Each ``/glossary#anchor`` link in a Markdown text, with its line (0 = the text's first line)."""
    return [
        (match.group(1), number)
        for number, line in enumerate((text or "").splitlines())
        for match in GLOSSARY_LINK_RE.finditer(line)
    ]
