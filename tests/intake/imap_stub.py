"""A small IMAP4rev1 server on 127.0.0.1 for tests: LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH, UID STORE."""
from __future__ import annotations

import socketserver
import threading
from typing import Any


class Mailbox:
    def __init__(self, messages: list[bytes]) -> None:
        self.messages = {uid: raw for uid, raw in enumerate(messages, start=1)}
        self.seen: set[int] = set()
        self.logins: list[tuple[str, str]] = []


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def reply(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self) -> None:
        self.reply("* OK IMAP4rev1 stub ready\r\n")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().strip().partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                self.reply(f"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n")
            elif command == "LOGIN":
                user, _, password = args.partition(" ")
                self.box.logins.append((user.strip('"'), password.strip('"')))
                self.reply(f"{tag} OK LOGIN completed\r\n")
            elif command == "SELECT":
                self.reply(f"* {len(self.box.messages)} EXISTS\r\n* FLAGS (\\Seen)\r\n"
                           f"{tag} OK [READ-WRITE] SELECT completed\r\n")
            elif command == "UID":
                self.uid(tag, args)
            elif command == "LOGOUT":
                self.reply(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            else:
                self.reply(f"{tag} BAD unknown command\r\n")

    def uid(self, tag: str, args: str) -> None:
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            unseen = " ".join(str(u) for u in self.box.messages if u not in self.box.seen)
            self.reply(f"* SEARCH {unseen}\r\n{tag} OK SEARCH completed\r\n")
        elif sub == "FETCH":
            uid = int(rest.split(" ", 1)[0])
            raw = self.box.messages[uid]
            self.reply(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
            self.reply(f"{tag} OK FETCH completed\r\n")
        elif sub == "STORE":
            uid = int(rest.split(" ", 1)[0])
            if "\\Seen" in rest:
                self.box.seen.add(uid)
            self.reply(f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))\r\n{tag} OK STORE completed\r\n")
        else:
            self.reply(f"{tag} BAD unknown UID command\r\n")


class ImapStub:
    def __init__(self, messages: list[bytes]) -> None:
        self.box = Mailbox(messages)
        handler: Any = type("Handler", (_Handler,), {"box": self.box})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> ImapStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
