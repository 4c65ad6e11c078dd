"""A real SMTP server (aiosmtpd) on a free local port, and the settings that send to it."""

import asyncio
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; `data_reply` or `rcpt_reply` make it
    refuse, as a failing mail server does; `data_delay` (seconds) makes it slow, and
    `on_data(message)` runs before it answers."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.data_reply: str | None = None
        self.rcpt_reply: str | None = None
        self.data_delay: float = 0
        self.on_data = None
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.on_data is not None:
            self.on_data(message)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self, port: int) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """The SMTP server the site sends to during the test."""
    inbox = Inbox()
    port = free_port()
    inbox.start(port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "alertes@essdir.test"
    settings.ALERTS_BASE_URL = "https://testserver"
    inbox.port = port
    yield inbox
    inbox.stop()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()
