"""One way to compare what a person types with what is stored: case and accents ignored.

SQLite compares case only for ASCII and knows no accents, so the searchable text is stored
beside the original in this form (``search_key``), and a query is brought to the same form
before it is compared. The same rule then holds on every database.
"""

import unicodedata


def search_key(text: str) -> str:
    """``text`` without accents, case-folded, with runs of spaces made one: "Crème  Brûlée"
    becomes "creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
