"""Local fakes of each provider's sending API: a real HTTP server in a thread, answering the
send call exactly as the provider documents it, so that the real anymail backend (and boto3
for Amazon SES) does the sending. Each fake also reads back what reached it in one shape
(``Sent``), and says which message id the provider would name in its events.
"""

import base64
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

# The ids each fake answers with, shaped as each provider documents them.
POSTMARK_ID = "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"
MAILGUN_ID = "<20261201094512.1.5F2B3C4D5E6F7A8B@send.porto.example>"
BREVO_ID = "<202612010945.12345678901@smtp-relay.mailin.fr>"
MAILJET_FIRST_ID = 1152921522289480000
RESEND_ID = "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"
POSTAL_FIRST_ID = 37
SPARKPOST_ID = "7239839617862348762"
SES_ID = "010201938a1b2c3d-4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8-000000"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sent:
    """What reached the provider, whatever its API's shape."""

    to: list[str]
    cc: list[str]
    bcc: list[str]
    attachments: dict[str, bytes]
    track_opens: bool | None  # None: the request does not say
    track_clicks: bool | None
    metadata: dict[str, str] | None  # None: no metadata sent
    message_id_header: str = ""


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def addresses(values) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [address for _, address in getaddresses([str(v) for v in values])]


class FakeApi:
    """One provider: settings for anymail, the documented answer, the request read back."""

    name: ClassVar[str]
    backend: ClassVar[str]

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.replies: list[tuple[int, Any]] = []  # answers to give instead of success
        self.url = ""

    def settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def success(self, call: Call) -> tuple[int, Any]:
        raise NotImplementedError

    def sent(self, call: Call) -> Sent:
        raise NotImplementedError

    def event_ids(self, call: Call) -> dict[str, str]:
        """address -> the message id the provider names in its events for that address."""
        raise NotImplementedError

    def answer(self, call: Call) -> tuple[int, Any]:
        self.calls.append(call)
        return self.replies.pop(0) if self.replies else self.success(call)


class Postmark(FakeApi):
    name = "postmark"
    backend = "anymail.backends.postmark.EmailBackend"

    def settings(self):
        return {"POSTMARK_SERVER_TOKEN": "server-token", "POSTMARK_API_URL": self.url}

    def success(self, call):
        body = call.json()
        return 200, {
            "To": body["To"],
            "SubmittedAt": "2026-12-01T04:45:12.3456789-05:00",
            "MessageID": POSTMARK_ID,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def sent(self, call):
        body = call.json()
        return Sent(
            to=addresses(body.get("To")),
            cc=addresses(body.get("Cc")),
            bcc=addresses(body.get("Bcc")),
            attachments={a["Name"]: b64(a["Content"]) for a in body.get("Attachments", [])},
            track_opens=body.get("TrackOpens"),
            track_clicks=None if "TrackLinks" not in body else body["TrackLinks"] != "None",
            metadata=body.get("Metadata"),
            message_id_header=next(
                (h["Value"] for h in body.get("Headers", []) if h["Name"] == "Message-ID"), ""
            ),
        )

    def event_ids(self, call):
        sent = self.sent(call)
        return dict.fromkeys(sent.to + sent.cc + sent.bcc, POSTMARK_ID)


class Mailgun(FakeApi):
    name = "mailgun"
    backend = "anymail.backends.mailgun.EmailBackend"

    def settings(self):
        return {"MAILGUN_API_KEY": "key-mailgun", "MAILGUN_API_URL": self.url + "v3"}

    def success(self, call):
        return 200, {"id": MAILGUN_ID, "message": "Queued. Thank you."}

    def form(self, call: Call) -> EmailMessage:
        head = f"Content-Type: {call.headers['Content-Type']}\r\n\r\n".encode()
        return message_from_bytes(head + call.body, policy=policy.HTTP)  # type: ignore[return-value]

    def fields(self, call: Call) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for part in self.form(call).iter_parts():
            if part.get_filename() is None:
                values.setdefault(part.get_param("name", header="content-disposition"), []).append(
                    part.get_content()
                )
        return values

    def sent(self, call):
        fields = self.fields(call)
        variables = {k[2:]: v[0] for k, v in fields.items() if k.startswith("v:")}
        yes = {"yes": True, "no": False}
        return Sent(
            to=addresses(fields.get("to")),
            cc=addresses(fields.get("cc")),
            bcc=addresses(fields.get("bcc")),
            attachments={
                part.get_filename(): part.get_payload(decode=True)
                for part in self.form(call).iter_parts()
                if part.get_filename()
            },
            track_opens=yes.get(fields.get("o:tracking-opens", [""])[0]),
            track_clicks=yes.get(fields.get("o:tracking-clicks", [""])[0]),
            metadata=variables or None,
            message_id_header=fields.get("h:Message-Id", [""])[0],
        )

    def event_ids(self, call):
        sent = self.sent(call)
        # Mailgun's events name the message by its Message-Id, without the brackets.
        return dict.fromkeys(sent.to + sent.cc + sent.bcc, MAILGUN_ID.strip("<>"))


class SendGrid(FakeApi):
    name = "sendgrid"
    backend = "anymail.backends.sendgrid.EmailBackend"

    def settings(self):
        return {"SENDGRID_API_KEY": "SG.key", "SENDGRID_API_URL": self.url + "v3/"}

    def success(self, call):
        return 202, None  # SendGrid answers 202 with an empty body (and X-Message-Id)

    def sent(self, call):
        body = call.json()
        [personalization] = body["personalizations"]
        tracking = body.get("tracking_settings", {})
        custom = dict(body.get("custom_args", {}))
        return Sent(
            to=[p["email"] for p in personalization.get("to", [])],
            cc=[p["email"] for p in personalization.get("cc", [])],
            bcc=[p["email"] for p in personalization.get("bcc", [])],
            attachments={a["filename"]: b64(a["content"]) for a in body.get("attachments", [])},
            track_opens=tracking.get("open_tracking", {}).get("enable"),
            track_clicks=tracking.get("click_tracking", {}).get("enable"),
            metadata=custom or None,
            message_id_header=body.get("headers", {}).get("Message-ID", ""),
        )

    def event_ids(self, call):
        # anymail names each personalization with its own anymail_id; events carry it back.
        [personalization] = call.json()["personalizations"]
        anymail_id = personalization["custom_args"]["anymail_id"]
        return {
            p["email"]: anymail_id
            for kind in ("to", "cc", "bcc")
            for p in personalization.get(kind, [])
        }


class Brevo(FakeApi):
    name = "brevo"
    backend = "anymail.backends.brevo.EmailBackend"

    def settings(self):
        return {"BREVO_API_KEY": "xkeysib-key", "BREVO_API_URL": self.url + "v3/"}

    def success(self, call):
        return 201, {"messageId": BREVO_ID}

    def sent(self, call):
        body = call.json()
        headers = body.get("headers", {})
        custom = headers.get("X-Mailin-custom")
        return Sent(
            to=[p["email"] for p in body.get("to", [])],
            cc=[p["email"] for p in body.get("cc", [])],
            bcc=[p["email"] for p in body.get("bcc", [])],
            attachments={a["name"]: b64(a["content"]) for a in body.get("attachment", [])},
            track_opens=None,
            track_clicks=None,
            metadata=json.loads(custom) if custom else None,
            message_id_header=headers.get("Message-ID", ""),
        )

    def event_ids(self, call):
        sent = self.sent(call)
        return dict.fromkeys(sent.to + sent.cc + sent.bcc, BREVO_ID)


class Mailjet(FakeApi):
    name = "mailjet"
    backend = "anymail.backends.mailjet.EmailBackend"

    def settings(self):
        return {
            "MAILJET_API_KEY": "mj-public",
            "MAILJET_SECRET_KEY": "mj-secret",
            "MAILJET_API_URL": self.url + "v3.1/",
        }

    def message(self, call: Call) -> dict:
        """The one message, with the ``Globals`` anymail puts shared fields in."""
        body = call.json()
        [message] = body["Messages"]
        return {**body.get("Globals", {}), **message}

    def numbered(self, call: Call) -> dict[str, int]:
        message = self.message(call)
        everyone = [p["Email"] for kind in ("To", "Cc", "Bcc") for p in message.get(kind, []) or []]
        return {address: MAILJET_FIRST_ID + n for n, address in enumerate(everyone)}

    def success(self, call):
        message = self.message(call)
        ids = self.numbered(call)

        def status(kind: str) -> list[dict]:
            return [
                {
                    "Email": p["Email"],
                    "MessageUUID": f"1ab23cd4-e567-4890-a345-6789f0ab1c{ids[p['Email']] % 100:02d}",
                    "MessageID": ids[p["Email"]],
                    "MessageHref": f"https://api.mailjet.com/v3/message/{ids[p['Email']]}",
                }
                for p in message.get(kind, []) or []
            ]

        return 200, {
            "Messages": [
                {
                    "Status": "success",
                    "CustomID": "",
                    "To": status("To"),
                    "Cc": status("Cc"),
                    "Bcc": status("Bcc"),
                }
            ]
        }

    def sent(self, call):
        message = self.message(call)
        payload = message.get("EventPayload")
        return Sent(
            to=[p["Email"] for p in message.get("To", [])],
            cc=[p["Email"] for p in message.get("Cc", []) or []],
            bcc=[p["Email"] for p in message.get("Bcc", []) or []],
            attachments={
                a["Filename"]: b64(a["Base64Content"]) for a in message.get("Attachments", [])
            },
            track_opens=None if "TrackOpens" not in message else message["TrackOpens"] == "enabled",
            track_clicks=None
            if "TrackClicks" not in message
            else message["TrackClicks"] == "enabled",
            metadata=json.loads(payload) if payload else None,
            message_id_header=(message.get("Headers") or {}).get("Message-ID", ""),
        )

    def event_ids(self, call):
        return {address: str(number) for address, number in self.numbered(call).items()}


class Resend(FakeApi):
    name = "resend"
    backend = "anymail.backends.resend.EmailBackend"

    def settings(self):
        return {"RESEND_API_KEY": "re_key", "RESEND_API_URL": self.url}

    def success(self, call):
        return 200, {"id": RESEND_ID}

    def sent(self, call):
        body = call.json()
        tags = {t["name"]: t["value"] for t in body.get("tags", [])}
        headers = body.get("headers", {})
        metadata = json.loads(headers["X-Metadata"]) if "X-Metadata" in headers else None
        return Sent(
            to=addresses(body.get("to")),
            cc=addresses(body.get("cc")),
            bcc=addresses(body.get("bcc")),
            attachments={a["filename"]: b64(a["content"]) for a in body.get("attachments", [])},
            track_opens=None,
            track_clicks=None,
            metadata=metadata or tags or None,
            message_id_header=headers.get("Message-ID", ""),
        )

    def event_ids(self, call):
        sent = self.sent(call)
        return dict.fromkeys(sent.to + sent.cc + sent.bcc, RESEND_ID)


class Postal(FakeApi):
    name = "postal"
    backend = "anymail.backends.postal.EmailBackend"

    def settings(self):
        return {"POSTAL_API_KEY": "postal-key", "POSTAL_API_URL": self.url.rstrip("/")}

    def numbered(self, call: Call) -> dict[str, int]:
        sent = self.sent(call)
        everyone = sent.to + sent.cc + sent.bcc
        return {address: POSTAL_FIRST_ID + n for n, address in enumerate(everyone)}

    def success(self, call):
        return 200, {
            "status": "success",
            "time": 0.1,
            "flags": {},
            "data": {
                "message_id": "b7f3d6a0-1c2e-4f5a-9b8c-7d6e5f4a3b2c@rp.postal.example",
                "messages": {
                    address: {"id": number, "token": f"tok{number}"}
                    for address, number in self.numbered(call).items()
                },
            },
        }

    def sent(self, call):
        body = call.json()
        return Sent(
            to=addresses(body.get("to")),
            cc=addresses(body.get("cc")),
            bcc=addresses(body.get("bcc")),
            attachments={a["name"]: b64(a["data"]) for a in body.get("attachments", [])},
            track_opens=None,
            track_clicks=None,
            metadata=None,
            message_id_header=body.get("headers", {}).get("Message-ID", ""),
        )

    def event_ids(self, call):
        return {address: str(number) for address, number in self.numbered(call).items()}


class SparkPost(FakeApi):
    name = "sparkpost"
    backend = "anymail.backends.sparkpost.EmailBackend"

    def settings(self):
        return {"SPARKPOST_API_KEY": "sp-key", "SPARKPOST_API_URL": self.url + "api/v1/"}

    def success(self, call):
        count = len(call.json()["recipients"])
        return 200, {
            "results": {
                "total_rejected_recipients": 0,
                "total_accepted_recipients": count,
                "id": SPARKPOST_ID,
            }
        }

    def sent(self, call):
        body = call.json()
        content = body["content"]
        headers = content.get("headers", {})
        everyone = [r["address"]["email"] for r in body["recipients"]]
        cc = addresses(headers.get("Cc"))
        to = [a for a in everyone if a in addresses(body_to(body))]
        options = body.get("options", {})
        return Sent(
            to=to,
            cc=cc,
            bcc=[a for a in everyone if a not in to and a not in cc],
            attachments={a["name"]: b64(a["data"]) for a in content.get("attachments", [])},
            track_opens=options.get("open_tracking"),
            track_clicks=options.get("click_tracking"),
            metadata=body.get("metadata"),
            message_id_header=headers.get("Message-ID", ""),
        )

    def event_ids(self, call):
        return {r["address"]["email"]: SPARKPOST_ID for r in call.json()["recipients"]}


def body_to(body: dict) -> list[str]:
    """SparkPost: the To header is each recipient's ``header_to``, or the recipients'."""
    header_to = {r["address"].get("header_to") for r in body["recipients"]} - {None}
    if header_to:
        return list(header_to)
    return [r["address"]["email"] for r in body["recipients"]]


class AmazonSes(FakeApi):
    name = "amazon_ses"
    backend = "anymail.backends.amazon_ses.EmailBackend"

    def settings(self):
        return {
            "AMAZON_SES_CLIENT_PARAMS": {
                "endpoint_url": self.url.rstrip("/"),
                "region_name": "eu-west-1",
                "aws_access_key_id": "AKIAEXAMPLEEXAMPLE00",
                "aws_secret_access_key": "example-secret-access-key",
                # boto3 retries 5xx answers by itself; one attempt keeps the fake's replies
                # one per send.
                "config": {"retries": {"total_max_attempts": 1, "mode": "standard"}},
            }
        }

    def success(self, call):
        return 200, {"MessageId": SES_ID}

    def mime(self, call: Call) -> EmailMessage:
        raw = b64(call.json()["Content"]["Raw"]["Data"])
        return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]

    def sent(self, call):
        body = call.json()
        destination = body.get("Destination", {})
        message = self.mime(call)
        metadata = message["X-Metadata"]
        return Sent(
            to=destination.get("ToAddresses") or addresses(message.get_all("To")),
            cc=destination.get("CcAddresses") or addresses(message.get_all("Cc")),
            bcc=destination.get("BccAddresses", []),
            attachments={
                part.get_filename(): part.get_payload(decode=True)
                for part in message.iter_attachments()
            },
            track_opens=None,
            track_clicks=None,
            metadata=json.loads(str(metadata)) if metadata else None,
            message_id_header=str(message["Message-ID"] or ""),
        )

    def event_ids(self, call):
        sent = self.sent(call)
        return dict.fromkeys(sent.to + sent.cc + sent.bcc, SES_ID)


FAKES: dict[str, type[FakeApi]] = {
    fake.name: fake
    for fake in (Postmark, Mailgun, SendGrid, AmazonSes, Brevo, Mailjet, Resend, Postal, SparkPost)
}


@dataclass
class Running:
    api: FakeApi
    server: ThreadingHTTPServer
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            call = Call("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
            status, reply = api.answer(call)
            payload = b"" if reply is None else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if api.name == "sendgrid":
                self.send_header("X-Message-Id", "2Pf3cK1fQ-WtVn6Ib2a3Sg")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    return Handler


def api_start(provider: str) -> Running:
    api = FAKES[provider]()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return Running(api, server, thread)
