"""Reading the files of a send request (the pop-up's POST, the API's multipart body) without
holding more than the limits in memory.

Django's default handlers read a 30 MB upload whole (into memory or a temporary file) before
anyone can refuse it, and drop a file part whose name is empty without a word. The send
views install ``SendUploadHandler`` instead (``install``):

- a body whose Content-Length is over ``MAX_UPLOAD_BYTES`` is refused before one byte is
  read (``body_too_large``);
- each file is kept up to ``MAX_ATTACHMENT_BYTES``; past it the rest is counted and thrown
  away, and the file travels on as its name and real size (``NewAttachment.refused_size``),
  so its message names it;
- once the files add up to more than ``MAX_UPLOAD_BYTES`` (a body without a Content-Length,
  or one that lied) the upload stops there and the rest is not read;
- a file whose name is empty is kept (``porto.mail.checks`` says it needs a name); the empty
  part a browser sends for "no file chosen" is left out.
"""

import io
import re
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from porto.mail.send.limits import MAX_ATTACHMENT_BYTES, MAX_UPLOAD_BYTES, size_limit
from porto.mail.send.request import NewAttachment

# A file part whose name is empty gets this name while it is parsed (Django drops a part
# whose name is empty); it can never be a real file name, which holds no control character.
NO_NAME = "\x00"
HELD_BACK_MAX = 8 * 1024  # the longest part header waited for


def body_too_large(content_length: str | None) -> str:
    """The message for a body over ``MAX_UPLOAD_BYTES`` by its Content-Length, or ""."""
    given = content_length or ""
    length = int(given) if given.isdigit() else 0
    if length <= MAX_UPLOAD_BYTES:
        return ""
    return upload_too_large()


def upload_too_large() -> str:
    return _(
        "The files you attached add up to more than %(max)s, more than an email can carry: "
        "attach fewer or smaller files, or send them in separate emails."
    ) % {"max": size_limit(MAX_UPLOAD_BYTES)}


class Upload(InMemoryUploadedFile):
    """A file kept in memory, with its name as sent (``given_name``): Django's ``name`` drops
    folders and refuses an empty name, which ``porto.mail.checks`` judges itself."""

    def __init__(self, content: io.BytesIO, field_name: str, given_name: str, **kwargs) -> None:
        super().__init__(content, field_name, "upload", **kwargs)
        self.given_name = given_name


class RefusedUpload(Upload):
    """A file past ``MAX_ATTACHMENT_BYTES``: its name and real size, none of its bytes."""

    def __init__(self, field_name: str, given_name: str, content_type: str, size: int) -> None:
        super().__init__(
            io.BytesIO(), field_name, given_name, content_type=content_type, size=size, charset=None
        )
        self.refused_size = size


class SendUploadHandler(FileUploadHandler):
    """See the module's docstring. ``stopped``: the upload was cut off at the limit."""

    chunk_size = 64 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0
        self.stopped = False
        self.kept: io.BytesIO | None = None
        self.size = 0
        self._parsing = False

    def handle_raw_input(
        self, input_data, META, content_length, boundary, encoding=None
    ) -> tuple[Any, Any] | None:
        if self._parsing:
            return None  # the parser below asks its handlers too: parse as usual
        if content_length > MAX_UPLOAD_BYTES:
            self.stopped = True  # nothing read; the view answers with ``upload_too_large``
            return QueryDict(), MultiValueDict()
        self._parsing = True
        try:
            marked: Any = _NamelessMarker(input_data, boundary)  # a stream, read by chunks
            return _NamedPartsParser(META, marked, [self], encoding).parse()
        finally:
            self._parsing = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.kept = io.BytesIO()
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        self.size += len(raw_data)
        if self.received > MAX_UPLOAD_BYTES:
            self.stopped = True
            raise StopUpload(connection_reset=True)
        if self.kept is not None and self.size > MAX_ATTACHMENT_BYTES:
            self.kept = None  # past the limit: what came so far is let go too
        elif self.kept is not None:
            self.kept.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> Upload | None:
        name = "" if self.file_name == NO_NAME else str(self.file_name)
        if self.file_name == NO_NAME and file_size == 0:
            return None  # "no file chosen"
        if self.kept is None:
            return RefusedUpload(self.field_name, name, self.content_type or "", file_size)
        self.kept.seek(0)
        return Upload(
            self.kept,
            self.field_name,
            name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
        )


class _NamedPartsParser(MultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str:
        """The name as sent: ``porto.mail.checks.clean_filename`` judges it and says what is
        wrong (Django's own sanitising would drop a name it dislikes, and the file with it)."""
        return file_name


class _NamelessMarker:
    """``stream``, with ``NO_NAME`` written into every part header whose ``filename`` is
    empty. Only part headers are touched: they follow the boundary, which no part's content
    may hold."""

    def __init__(self, stream: Any, boundary: bytes) -> None:
        self._stream = stream
        self._delimiter = b"--" + boundary
        self._empty_name = re.compile(
            rb"(" + re.escape(self._delimiter) + rb"\r\n(?:[^\r\n]+\r\n)*?[^\r\n]*?"
            rb";\s*filename=)\"\"(?=[;\r\s])",
            re.IGNORECASE,
        )
        self._held = b""

    def read(self, size: int = -1) -> bytes:
        while True:
            data = self._stream.read(size)
            window = self._held + data
            if not data:
                self._held = b""
                return self._marked(window)
            keep = self._unfinished_header(window)
            self._held = window[len(window) - keep :]
            released = window[: len(window) - keep]
            if released:
                return self._marked(released)

    def _unfinished_header(self, window: bytes) -> int:
        """How many bytes at the end of ``window`` may be a part header not yet complete."""
        start = window.rfind(self._delimiter)
        if start != -1 and b"\r\n\r\n" not in window[start:]:
            return min(len(window) - start, HELD_BACK_MAX)
        return min(len(self._delimiter), len(window))

    def _marked(self, data: bytes) -> bytes:
        return self._empty_name.sub(rb'\1"' + NO_NAME.encode() + rb'"', data)


def install(request: Any) -> SendUploadHandler:
    """Make ``request`` (Django's) read its files with a ``SendUploadHandler``; call before
    anything reads ``request.POST`` or ``request.FILES``."""
    handler = SendUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def new_attachments(uploads: list[Any]) -> list[NewAttachment]:
    """The uploaded files as the send request carries them."""
    return [
        NewAttachment(
            getattr(upload, "given_name", upload.name) or "",
            b"" if isinstance(upload, RefusedUpload) else upload.read(),
            getattr(upload, "refused_size", None),
        )
        for upload in uploads
    ]
