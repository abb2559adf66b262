"""A real Chromium opens a sandbox email: its images load (the tracking pixel), its scripts
do not run, and its frame cannot reach the app's page."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from porto.sandbox.services import sandbox_message_receive
from tests.sandbox.helpers import build_email

pytestmark = pytest.mark.browser

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@pytest.fixture
def image_server():
    """An outside web server, as the one serving a tracking pixel; it records every request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(GIF)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.requests = requests  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def test_opening_an_email_loads_its_pixel_but_runs_none_of_its_scripts(
    page, live_server, client, owner, company, image_server, screenshot
):
    outside = f"http://127.0.0.1:{image_server.server_port}"
    html = (
        "<p id='greeting'>Beste klant</p>"
        f"<script>document.body.dataset.ran = 'yes'; new Image().src = '{outside}/script-ran';"
        "parent.document.title = 'taken over';</script>"
        f"<img src='{outside}/pixel.gif' alt=''>"
    )
    raw = build_email(company_id=company.pk, html=html)
    message = sandbox_message_receive(envelope_from="", recipients=["k@klant.example"], raw=raw)
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(live_server.url + reverse("sandbox:message", args=[message.pk]))
    frame = page.frame_locator("iframe")
    frame.locator("#greeting").wait_for()
    screenshot(page, "sandbox-message")
    pixel_loaded = frame.locator("img").evaluate("img => img.decode().then(() => img.complete)")

    assert pixel_loaded is True
    assert "/pixel.gif" in image_server.requests
    # The script comes before the image: had it run, it would have run by now.
    assert frame.locator("body").get_attribute("data-ran") is None
    assert "/script-ran" not in image_server.requests
    assert page.title() != "taken over"
    reach = "() => { try { return parent.document.title } catch (e) { return e.name } }"
    assert page.frames[1].evaluate(reach) == "SecurityError"
