"""A request body that must never be read: a refusal by its announced size proves it."""


class UnreadBody:
    """Stands for a huge body (``wsgi.input``); reading any of it fails the test."""

    def read(self, *args, **kwargs) -> bytes:
        raise AssertionError("the body was read, although its announced size is over the limit")

    readline = read


def announced(size: int, content_type: str) -> dict:
    """Test client keyword arguments for a body of ``content_type`` announced as ``size``
    bytes, never read. (The test client sets neither header for an empty body: set here.)"""
    return {"CONTENT_LENGTH": str(size), "CONTENT_TYPE": content_type, "wsgi.input": UnreadBody()}
