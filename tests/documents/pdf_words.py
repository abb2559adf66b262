"""A PDF's words with their boxes, read by poppler's pdftotext, and the visual rows they form."""

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float

    def intersects(self, other: "Word") -> bool:
        return (
            self.page == other.page
            and self.x_min < other.x_max
            and other.x_min < self.x_max
            and self.y_min < other.y_max
            and other.y_min < self.y_max
        )


def words(content: bytes) -> list[Word]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(content)
        result = subprocess.run(
            ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True
        )
    tree = etree.fromstring(result.stdout, etree.XMLParser(recover=True))
    found = []
    for number, page in enumerate(tree.iter(f"{XHTML}page"), start=1):
        for word in page.iter(f"{XHTML}word"):
            box = [float(word.get(name)) for name in ("xMin", "yMin", "xMax", "yMax")]
            found.append(Word(number, word.text or "", *box))
    return found


def rows(content: bytes, tolerance: float = 2.0, above: float | None = None) -> list[str]:
    """The text of each visual line of each page, left to right: a table row's label and its
    amount end up in one string. ``above``: only words whose top is above this height."""
    lines: list[list[Word]] = []
    kept = [w for w in words(content) if above is None or w.y_min < above]
    for word in sorted(kept, key=lambda w: (w.page, w.y_max, w.x_min)):
        last = lines[-1][0] if lines else None
        if last and last.page == word.page and abs(last.y_max - word.y_max) <= tolerance:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(w.text for w in sorted(line, key=lambda w: w.x_min)) for line in lines]


def text(content: bytes) -> str:
    """All rows of the document, one per line."""
    return "\n".join(rows(content))


def squeezed(value: str) -> str:
    """Without any whitespace (no-break and narrow no-break spaces included)."""
    return "".join(value.split())
