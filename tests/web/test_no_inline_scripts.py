"""No template a browser renders holds inline script, an inline event handler, an inline
style attribute, a ``<style>`` element without the CSP nonce or a ``javascript:`` URL: the
Content-Security-Policy (porto/lib/csp.py) would block each of them, silently breaking the page.
Behaviour lives in static/porto/*.js, styles in static/porto/*.css."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Rendered by WeasyPrint into a PDF, never served to a browser: their styles stay inline.
PDF_ONLY = {
    Path("templates/documents/pdf/document.html"),
    Path("templates/mail/proof.html"),
}

TAG = re.compile(r"<[a-zA-Z][^>]*>", re.DOTALL)
PROBLEMS = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "inline style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element without the CSP nonce": re.compile(
        r"<style\b(?![^>]*\bnonce\s*=)[^>]*>", re.IGNORECASE
    ),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE),
}
TAG_ONLY = {"inline event handler", "inline style attribute"}


def browser_templates() -> list[Path]:
    found = sorted(ROOT.glob("templates/**/*.html")) + sorted(
        ROOT.glob("porto/*/templates/**/*.html")
    )
    return [path for path in found if path.relative_to(ROOT) not in PDF_ONLY]


def inline_problems(html: str) -> list[tuple[int, str, str]]:
    """Each problem as (line, kind, the offending text)."""
    tags = [(m.start(), m.group()) for m in TAG.finditer(html)]
    found = []
    for kind, pattern in PROBLEMS.items():
        pieces = tags if kind in TAG_ONLY else [(0, html)]
        for offset, text in pieces:
            for match in pattern.finditer(text):
                line = html.count("\n", 0, offset + match.start()) + 1
                found.append((line, kind, match.group().strip()[:60]))
    return found


def test_the_walk_finds_the_templates_of_every_app():
    names = {str(path.relative_to(ROOT)) for path in browser_templates()}
    assert "templates/base.html" in names
    assert "porto/sandbox/templates/sandbox/message.html" in names
    assert not names & {str(path) for path in PDF_ONLY}


@pytest.mark.parametrize(
    "snippet, kind",
    [
        ("<script>alert(1)</script>", "inline script"),
        ('<script type="module">go()</script>', "inline script"),
        ('<select onchange="this.form.submit()">', "inline event handler"),
        ("<button\n  onclick='go()'>", "inline event handler"),
        ('<pre style="white-space:pre-wrap">', "inline style attribute"),
        ("<style>body{margin:0}</style>", "<style> element without the CSP nonce"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ],
)
def test_each_kind_of_inline_code_is_found(snippet, kind):
    assert [found_kind for _, found_kind, _ in inline_problems(snippet)] == [kind]


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'porto/base.js' %}\" defer></script>",
        '<button data-confirm="Delete this text?">',
        '<iframe srcdoc="&lt;style nonce=&quot;x&quot;&gt;p{}&lt;/style&gt;">',
        "<p>Press the button once; the style of the page stays.</p>",
        '<input name="onboarding" data-style="compact">',
    ],
)
def test_allowed_markup_is_not_flagged(snippet):
    assert inline_problems(snippet) == []


@pytest.mark.parametrize(
    "template", browser_templates(), ids=lambda path: str(path.relative_to(ROOT))
)
def test_template_has_no_inline_script_handler_or_style(template):
    assert inline_problems(template.read_text(encoding="utf-8")) == []
