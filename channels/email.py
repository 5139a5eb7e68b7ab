"""SMTP e-mail of any `OutgoingMessage`: plain text only, or multipart/alternative (plain text +
HTML) whose HTML part is multipart/related with the inline PNGs attached by Content-ID."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from channels.base import DeliveryError, OutgoingMessage
from clarity.settings import Settings


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls, ssl, none
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 20.0
    sender: str = "Clarity <briefings@clarity.example.com>"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        if not settings.smtp_host:
            raise DeliveryError("e-mail is not configured: set CLARITY_SMTP_HOST")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout_seconds=settings.smtp_timeout_seconds,
            sender=settings.email_from,
        )


def build_email(message: OutgoingMessage, *, sender: str, recipient: str) -> EmailMessage:
    """text/plain alone, or multipart/alternative: text/plain, then multipart/related
    (text/html + image/png…). Inline images need HTML to show in; without HTML there are none."""
    email = EmailMessage()
    if message.subject is not None:
        email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = make_msgid(idstring=message.key, domain="clarity.local")
    email.set_content(message.text)
    if message.html is None:
        return email
    email.add_alternative(message.html, subtype="html")
    html_part = email.get_body(preferencelist=("html",))
    assert html_part is not None
    for image in message.images:
        html_part.add_related(
            image.png, "image", "png", cid=f"<{image.cid}>", filename=image.filename
        )
    return email


class EmailChannel:
    """Sends through an SMTP server with STARTTLS, implicit TLS (ssl) or no encryption."""

    name = "email"

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        email = build_email(message, sender=self.config.sender, recipient=recipient)
        cfg = self.config
        try:
            client: smtplib.SMTP
            if cfg.security == "ssl":
                client = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=self.ssl_context
                )
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
            with client:
                if cfg.security == "starttls":
                    client.starttls(context=self.ssl_context)
                if cfg.username:
                    client.login(cfg.username, cfg.password or "")
                refused = client.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {cfg.host}:{cfg.port}: {type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        if refused:
            raise DeliveryError(f"SMTP refused the recipient ({next(iter(refused.values()))})")
        return str(email["Message-ID"])
