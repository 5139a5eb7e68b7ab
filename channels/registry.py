"""The channels a deployment can deliver through, built from settings (never at import)."""

from __future__ import annotations

from channels.base import Channel, MessageChannel
from channels.email import EmailChannel, SmtpConfig
from channels.message_email import MessageEmailChannel
from channels.outbox import OutboxChannel
from channels.slack import SlackBotChannel, SlackWebhookChannel
from clarity.settings import Settings


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """`outbox` always; `email` and `slack` when listed in CLARITY_DELIVERY_CHANNELS and
    configured (SMTP host; webhook URL or bot token)."""
    channels: dict[str, Channel] = {
        "outbox": OutboxChannel(settings.resolved_outbox_dir, sender=settings.email_from)
    }
    enabled = set(settings.delivery_channels)
    if "email" in enabled and settings.smtp_host:
        channels["email"] = EmailChannel(SmtpConfig.from_settings(settings))
    if "slack" in enabled:
        if settings.slack_webhook_url:
            channels["slack"] = SlackWebhookChannel(settings.slack_webhook_url.get_secret_value())
        elif settings.slack_bot_token:
            channels["slack"] = SlackBotChannel(
                settings.slack_bot_token.get_secret_value(), settings.slack_channel
            )
    return channels


def message_channels_from_settings(settings: Settings) -> dict[str, MessageChannel]:
    """Channels for messages to patients: `sms` (Twilio when configured, else the file outbox
    under `<outbox>/sms/`) and `email` (SMTP when configured, else the file outbox)."""
    from channels.sms import sms_channel_from_settings

    if settings.smtp_host:
        inner: Channel = EmailChannel(SmtpConfig.from_settings(settings))
    else:
        inner = OutboxChannel(settings.resolved_outbox_dir / "email", sender=settings.email_from)
    return {"sms": sms_channel_from_settings(settings), "email": MessageEmailChannel(inner)}
