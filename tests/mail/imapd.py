"""A minimal IMAP4rev1 server for tests, in-process over a real socket: enough of RFC 3501
for imaplib (CAPABILITY, LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH, NOOP, LOGOUT)."""

import re
import socketserver
import threading
from dataclasses import dataclass, field

_ATOM_OR_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Folder:
    uidvalidity: int = 1
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    next_uid: int = 1

    def add(self, raw: bytes) -> int:
        uid = self.next_uid
        self.messages.append((uid, raw))
        self.next_uid += 1
        return uid


@dataclass
class Mailbox:
    username: str = "acme"
    password: str = "imap-secret"
    folders: dict[str, Folder] = field(default_factory=lambda: {"INBOX": Folder()})
    commands: list[str] = field(default_factory=list)


def _args(text: str) -> list[str]:
    return [
        match.group(2)
        if match.group(2) is not None
        else match.group(1).replace('\\"', '"').replace("\\\\", "\\")
        for match in _ATOM_OR_QUOTED.finditer(text)
    ]


def uid_set_matches(spec: str, uids: list[int]) -> list[int]:
    """RFC 3501 sequence sets over UIDs; "n:*" includes the highest UID even below n."""
    highest = max(uids, default=0)
    chosen: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition(":")
        first = highest if low == "*" else int(low)
        last = first if not high else (highest if high == "*" else int(high))
        first, last = min(first, last), max(first, last)
        chosen |= {uid for uid in uids if first <= uid <= last}
    return sorted(chosen)


class Handler(socketserver.StreamRequestHandler):
    server: "ImapTestServer"

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        self.selected: Folder | None = None
        self.logged_in = False
        self.send("* OK [CAPABILITY IMAP4rev1] Porto test IMAP ready")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.server.mailbox.commands.append(line)
            tag, _, rest = line.partition(" ")
            command, _, arguments = rest.partition(" ")
            if not self.dispatch(tag, command.upper(), arguments):
                return

    def dispatch(self, tag: str, command: str, arguments: str) -> bool:
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            self.login(tag, _args(arguments))
        elif not self.logged_in:
            self.send(f"{tag} BAD log in first")
        elif command in ("SELECT", "EXAMINE"):
            self.select(tag, command, _args(arguments)[0])
        elif command == "UID":
            self.uid(tag, arguments)
        else:
            self.send(f"{tag} BAD {command} not supported here")
        return True

    def login(self, tag: str, args: list[str]) -> None:
        mailbox = self.server.mailbox
        if args[:2] == [mailbox.username, mailbox.password]:
            self.logged_in = True
            self.send(f"{tag} OK LOGIN completed")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")

    def select(self, tag: str, command: str, name: str) -> None:
        folder = self.server.mailbox.folders.get(name)
        if folder is None:
            self.send(f"{tag} NO [NONEXISTENT] Unknown mailbox")
            return
        self.selected = folder
        self.send(f"* {len(folder.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {folder.next_uid}] Predicted next UID")
        mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {command} completed")

    def uid(self, tag: str, arguments: str) -> None:
        if self.selected is None:
            self.send(f"{tag} BAD select a mailbox first")
            return
        sub, _, rest = arguments.partition(" ")
        uids = [uid for uid, _raw in self.selected.messages]
        if sub.upper() == "SEARCH":
            args = _args(rest)
            spec = args[args.index("UID") + 1] if "UID" in args else "1:*"
            found = uid_set_matches(spec, uids) if uids else []
            self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
            self.send(f"{tag} OK SEARCH completed")
        elif sub.upper() == "FETCH":
            spec = rest.split(" ", 1)[0]
            for uid in uid_set_matches(spec, uids) if uids else []:
                sequence = uids.index(uid) + 1
                body = dict(self.selected.messages)[uid]
                self.send(f"* {sequence} FETCH (UID {uid} BODY[] {{{len(body)}}}".encode())
                self.wfile.write(body)
                self.send(")")
            self.send(f"{tag} OK FETCH completed")
        else:
            self.send(f"{tag} BAD UID {sub} not supported here")


class ImapTestServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mailbox = mailbox or Mailbox()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> "ImapTestServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class ImapTlsTestServer(ImapTestServer):
    """The same server behind implicit TLS (port 993 style)."""

    def __init__(self, context, mailbox: Mailbox | None = None) -> None:
        super().__init__(mailbox)
        self.context = context

    def get_request(self):
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address
