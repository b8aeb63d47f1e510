"""The kill -9 harness's sending side: an MTA that keeps each message until it got a 250,
and the messages it sends (crash_harness.py runs the receiving children)."""

from __future__ import annotations

import hashlib
import random
import smtplib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY


@dataclass(frozen=True)
class Sent:
    raw: bytes
    recipients: tuple[str, ...]
    attachment: bytes = b""


class Mta:
    """Delivers every message like a real MTA: kept until a 250, retried on any 4xx or lost
    connection; a 5xx is a permanent failure the test reports."""

    def __init__(self, port: int, messages: list[Sent], *, connections: int = 4) -> None:
        self.port = port
        self.queue = list(reversed(messages))
        self.lock = threading.Lock()
        self.retries = 0
        self.delivered = 0
        self.last_delivery = time.monotonic()
        self.rejected: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(connections)]

    def run(self, *, stall_seconds: float, give_up: Callable[[], bool]) -> bool:
        """Send everything; True when all got their 250.

        Gives up when no message got through for `stall_seconds`, or `give_up()` says so.
        """
        self.stall_seconds, self.give_up = stall_seconds, give_up
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join()
        return not self.queue

    def _stalled(self) -> bool:
        return time.monotonic() - self.last_delivery > self.stall_seconds or self.give_up()

    def _run(self) -> None:
        while not self._stalled():
            with self.lock:
                if not self.queue:
                    return
                message = self.queue.pop()
            delivered = self._deliver(message)
            with self.lock:
                if delivered:
                    self.delivered += 1
                    self.last_delivery = time.monotonic()
                else:
                    self.queue.append(message)
                    self.retries += 1
            if not delivered:
                time.sleep(0.05)

    def _deliver(self, message: Sent) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as client:
                client.sendmail("mta@relay.example", list(message.recipients), message.raw)
        except smtplib.SMTPResponseException as exc:
            return self._permanent(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return self._permanent(code, text)
        except (OSError, smtplib.SMTPException):
            return False  # refused, reset, timed out, disconnected: try again later
        return True

    def _permanent(self, code: int, text: bytes | str) -> bool:
        if code >= 500:
            self.rejected.append(f"{code} {text!r}")
            return True  # a real MTA bounces it; the test fails on `rejected`
        return False


# --- the messages --------------------------------------------------------------------------


def messages_make(
    count: int, *, seed: int, support: str, sales: str, prefix: str = "crash"
) -> list[Sent]:
    """`count` distinct messages, each from its own sender: a tenth also to `sales`, 3% with
    an attachment (40-120 KB), 2% without a Message-ID (deduplicated by their bytes)."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    sent = []
    for n in range(count):
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = f"Customer {n} <{prefix}-{n}@customers.example>"
        recipients = (support, sales) if rng.random() < 0.1 else (support,)
        message["To"] = ", ".join(recipients)
        message["Subject"] = f"Order {seed}-{n}: where is it?"
        if rng.random() >= 0.02:
            message["Message-ID"] = f"<{prefix}-{seed}-{n}@customers.example>"
        body = "My parcel is late. " * rng.randint(5, 80)
        message.set_content(f"Hello,\n\nmessage {n}.\n{body}\n")
        attachment = b""
        if rng.random() < 0.03:
            attachment = rng.randbytes(rng.randint(40_000, 120_000))
            message.add_attachment(
                attachment, maintype="application", subtype="pdf", filename=f"invoice-{n}.pdf"
            )
        sent.append(Sent(raw=message.as_bytes(), recipients=recipients, attachment=attachment))
    return sent


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
