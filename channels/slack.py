"""Slack: an incoming webhook or a bot token (`chat.postMessage`).

A webhook answers 200 with the body `ok` on success; anything else is a failure, even a 2xx.
429 responses are retried after their `Retry-After` (slack-sdk's `RateLimitErrorRetryHandler`);
other errors fail the attempt and the delivery bookkeeping schedules a later retry.

A message is posted as its `slack_text` and `slack_blocks`; a message without them (a patient
message, say) is posted as its plain `text`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from channels.base import DeliveryError, OutgoingMessage

RATE_LIMIT_RETRIES = 2


def _text_and_blocks(message: OutgoingMessage) -> tuple[str, list[dict[str, Any]] | None]:
    """What Slack shows: the Slack text (else the plain text) and the blocks, if any."""
    return message.slack_text or message.text, list(message.slack_blocks) or None


class SlackWebhookChannel:
    name = "slack"

    def __init__(
        self, url: str, *, timeout: int = 15, rate_limit_retries: int = RATE_LIMIT_RETRIES
    ) -> None:
        self._client = WebhookClient(
            url,
            timeout=timeout,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=1),
                RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ],
        )

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        try:
            text, blocks = _text_and_blocks(message)
            response = self._client.send(text=text, blocks=blocks)
        except Exception as exc:  # URLError, timeouts: the webhook was not reached
            raise DeliveryError(f"Slack webhook unreachable: {type(exc).__name__}") from exc
        if response.status_code == 200 and response.body == "ok":
            return "ok"
        raise DeliveryError(
            f"Slack webhook answered {response.status_code}: {str(response.body)[:120]}"
        )


class SlackBotChannel:
    name = "slack"

    def __init__(
        self,
        token: str,
        default_channel: str | None = None,
        *,
        base_url: str = WebClient.BASE_URL,
        timeout: int = 15,
        rate_limit_retries: int = RATE_LIMIT_RETRIES,
    ) -> None:
        self.default_channel = default_channel
        self._client = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=1),
                RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ],
        )

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        channel = recipient if recipient.startswith(("#", "C", "D", "G")) else self.default_channel
        if not channel:
            raise DeliveryError("Slack bot delivery needs a channel (set CLARITY_SLACK_CHANNEL)")
        text, blocks = _text_and_blocks(message)
        try:
            response = self._client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise DeliveryError(f"Slack chat.postMessage failed: {error or exc}") from exc
        except Exception as exc:
            raise DeliveryError(f"Slack API unreachable: {type(exc).__name__}") from exc
        return str(response.get("ts", "ok"))
