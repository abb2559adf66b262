"""What a worker keeps between PDF renders because it is the same for every document.

Left to its defaults, WeasyPrint starts from nothing on every render: a new
``FontConfiguration`` (Pango loads and measures the fonts again), the stylesheet parsed again
from the page, and Porto read, checked and encoded the logo again. docs/performance.md shows
the profile; together these were about half of a one-page invoice. Kept here, per thread
(Pango's font maps are not thread-safe, and a worker renders in one thread anyway):

- one ``FontConfiguration``;
- the parsed stylesheet (``weasyprint.CSS``) per source text, so a changed template is parsed
  again rather than served stale;
- the logo's data: URI per content hash: the stored file is still read on every render (the
  hash is of what is stored now), but checked and encoded once;
- WeasyPrint's image cache (its ``cache`` option), for raster images only: the logo is
  decoded once (WeasyPrint still compresses its PDF stream on every render).

Not kept: the SEPA QR code. It differs per invoice and a finalized invoice is rendered once
(its PDF is stored), so a cache per payload would only flatter a benchmark that renders the
same invoice again.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

STYLESHEETS_KEPT = 4
LOGOS_KEPT = 32  # at most 1 MB each (LOGO_MAX_BYTES), as base64
# WeasyPrint keeps three or four entries per raster image (the image, its source and
# compressed streams): emptied between renders past this, about ten logos.
IMAGE_ENTRIES_KEPT = 40
SVG_DATA_URI = "data:image/svg+xml"


Value = TypeVar("Value")


class _Recent(Generic[Value]):
    """The ``size`` most recently used values by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[str, Value] = OrderedDict()

    def get_or_make(self, key: str, make: Callable[[], Value]) -> Value:
        if key in self.values:
            self.values.move_to_end(key)
            return self.values[key]
        value = self.values[key] = make()
        if len(self.values) > self.size:
            self.values.popitem(last=False)
        return value


class _RasterImages(dict):
    """WeasyPrint's image cache, keeping what it stores for raster images (the logo, the same
    in every document of a company) and nothing for SVG data: URIs (the QR code, another one
    per invoice), so that it does not grow with the number of invoices rendered."""

    def __setitem__(self, key: str, value: object) -> None:
        if not key.startswith(SVG_DATA_URI):
            super().__setitem__(key, value)


class _WorkerCache(threading.local):
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.font_config = FontConfiguration()
        self.stylesheets: _Recent[CSS] = _Recent(STYLESHEETS_KEPT)
        self.logos: _Recent[str] = _Recent(LOGOS_KEPT)
        self.images = _RasterImages()


_cache = _WorkerCache()


def font_config() -> FontConfiguration:
    return _cache.font_config


def stylesheet(source: str) -> CSS:
    """``source`` parsed once per thread."""
    config = _cache.font_config
    return _cache.stylesheets.get_or_make(source, lambda: CSS(string=source, font_config=config))


def image_cache() -> dict:
    """The image cache to give WeasyPrint for one render. Emptied here, between renders, when
    it is full: an image WeasyPrint cached reads its streams back from the same dict while the
    PDF is written, so entries are never dropped during a render."""
    if len(_cache.images) > IMAGE_ENTRIES_KEPT:
        _cache.images.clear()
    return _cache.images


def logo_data_uri(data: bytes, make: Callable[[bytes], str]) -> str:
    """``make(data)`` once per content: the logo's checks and encoding do not change with
    the document. ``make`` raises for a logo it refuses; nothing is kept then."""
    key = hashlib.sha256(data).hexdigest()
    return _cache.logos.get_or_make(key, lambda: make(data))


def clear() -> None:
    """Start again from nothing in this thread (a test comparing a cold and a warm render)."""
    _cache.reset()
