"""The channels a deployment can deliver through, built from settings at call time.

`FACTORIES` maps a channel name to a factory `(Settings) -> Channel | None`; a factory returns
None when its channel is not enabled (`CLARITY_DELIVERY_CHANNELS`) or not configured, and the
channel is then absent. `outbox` is always present.

Adding a channel (Twilio SMS, say) takes one new module and one line here:

1. `channels/sms.py`: a class with `name = "sms"` and
   `send(self, message: OutgoingMessage, recipient: str) -> str` that returns the provider's
   receipt, raises `DeliveryError` when the send failed for certain and
   `DeliveryOutcomeUnknown` when it may have gone out (a timeout after the request left); plus
   `def sms_channel(settings: Settings) -> Channel | None` that builds it from settings.
   The transport keeps no delivery records: the caller's bookkeeping (`channels.delivery`) does.
2. Here: `"sms": sms_channel,` in `FACTORIES` (import the factory function lazily if its
   provider SDK is slow to import, as `_slack` does). Its settings (credentials, and the name
   among the allowed values of `Settings.delivery_channels`) belong in `clarity/settings.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from channels.base import Channel
from clarity.settings import Settings

ChannelFactory = Callable[[Settings], Channel | None]


def _outbox(settings: Settings) -> Channel:
    from channels.outbox import OutboxChannel

    return OutboxChannel(settings.resolved_outbox_dir, sender=settings.email_from)


def _email(settings: Settings) -> Channel | None:
    if "email" not in settings.delivery_channels or not settings.smtp_host:
        return None
    from channels.email import EmailChannel, SmtpConfig

    return EmailChannel(SmtpConfig.from_settings(settings))


def _slack(settings: Settings) -> Channel | None:
    """A webhook when one is configured, else a bot token (posting to CLARITY_SLACK_CHANNEL)."""
    if "slack" not in settings.delivery_channels:
        return None
    from channels.slack import SlackBotChannel, SlackWebhookChannel

    if settings.slack_webhook_url:
        return SlackWebhookChannel(settings.slack_webhook_url.get_secret_value())
    if settings.slack_bot_token:
        return SlackBotChannel(settings.slack_bot_token.get_secret_value(), settings.slack_channel)
    return None


FACTORIES: Mapping[str, ChannelFactory] = {
    "outbox": _outbox,
    "email": _email,
    "slack": _slack,
}


def channels_from_settings(
    settings: Settings, factories: Mapping[str, ChannelFactory] = FACTORIES
) -> dict[str, Channel]:
    """Every enabled and configured channel by name (`outbox` always)."""
    channels: dict[str, Channel] = {}
    for name, factory in factories.items():
        channel = factory(settings)
        if channel is not None:
            channels[name] = channel
    return channels


def message_channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """Channels for messages to patients: `sms` (Twilio when configured, else the file outbox
    under `<outbox>/sms/`) and `email` (SMTP when configured, else the file outbox under
    `<outbox>/email/`)."""
    from channels.email import EmailChannel, SmtpConfig
    from channels.outbox import OutboxChannel
    from channels.sms import sms_channel_from_settings

    email: Channel
    if settings.smtp_host:
        email = EmailChannel(SmtpConfig.from_settings(settings))
    else:
        email = OutboxChannel(settings.resolved_outbox_dir / "email", sender=settings.email_from)
    return {"sms": sms_channel_from_settings(settings), "email": email}
