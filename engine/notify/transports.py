"""Delivery transports for notifications: SMTP and the Telegram Bot API (base URL configurable)."""
from __future__ import annotations

import json
import mimetypes
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate


class DeliveryError(Exception):
    """A send that failed; `permanent` ones are not retried (a refused address, a bad chat)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str, message_id: str, references: tuple[str, ...] = (),
             attachment: tuple[str, bytes] | None = None) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"], message["Date"] = message_id, formatdate(localtime=False)
        if references:  # threads our answer under the client's message in their mail program
            message["In-Reply-To"], message["References"] = references[-1], " ".join(references)
        message.set_content(body)
        if attachment is not None:
            maintype, _, subtype = (mimetypes.guess_type(attachment[0])[0] or "application/octet-stream").partition("/")
            message.add_attachment(attachment[1], maintype=maintype, subtype=subtype, filename=attachment[0])
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as err:
            raise DeliveryError(f"recipient refused: {err.recipients}", permanent=True) from err
        except smtplib.SMTPResponseException as err:
            raise DeliveryError(f"SMTP {err.smtp_code}: {err.smtp_error!r}", permanent=500 <= err.smtp_code < 600) \
                from err
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP unreachable: {err}") from err


@dataclass(frozen=True)
class TelegramTransport:
    base_url: str
    token: str
    timeout: float = 10.0

    def send(self, chat_id: str, subject: str, body: str, message_id: str, references: tuple[str, ...] = (),
             attachment: tuple[str, bytes] | None = None) -> None:
        """Text only: a report's file goes by e-mail; the chat gets its summary."""
        url = f"{self.base_url.rstrip('/')}/bot{self.token}/sendMessage"
        payload = json.dumps({"chat_id": chat_id, "text": f"{subject}\n\n{body}"}).encode()
        request = urllib.request.Request(url, payload, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                result = json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:300]
            raise DeliveryError(f"Telegram HTTP {err.code}: {detail}", permanent=err.code in (400, 403)) from err
        except (OSError, ValueError) as err:
            raise DeliveryError(f"Telegram unreachable: {err}") from err
        if not result.get("ok", False):
            raise DeliveryError(f"Telegram refused: {result.get('description', result)}", permanent=True)
