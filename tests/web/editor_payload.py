"""What a browser would post from the editor page: every field of the form as the page renders
it (the row templates left out), with the test's own values on top."""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.template_depth = 0
        self.select: str | None = None
        self.select_first: str | None = None
        self.selected = False
        self.textarea: str | None = None
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "form" and attr.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            if kind in ("submit", "button"):
                return
            self.values[name] = attr.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self.select, self.select_first, self.selected = name, None, False
        elif tag == "option" and self.select:
            value = attr.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attr:
                self.values[self.select], self.selected = value, True
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "template" and self.inside:
            self.template_depth -= 1
        elif tag == "select" and self.select:
            if not self.selected:
                self.values[self.select] = self.select_first or ""
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside = False

    def handle_data(self, data):
        if self.textarea and not self.template_depth:
            self.values[self.textarea] += (
                data.lstrip("\n") if not self.values[self.textarea] else data
            )


def form_fields(html: str, form_id: str = "document-editor") -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.values


def editor_payload(client, url: str, typed: dict[str, str] | None = None) -> dict[str, str]:
    """The editor form at ``url`` as the browser would post it, with ``typed`` filled in."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return form_fields(response.content.decode()) | (typed or {})
