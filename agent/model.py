"""The chat model factory: `ChatOpenAI` for any OpenAI-compatible endpoint, from settings."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from clarity.settings import Settings

PLACEHOLDER_API_KEY = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) ignore the key


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None when no model is configured (template writers)."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI  # imported here: only needed with a model

    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ChatOpenAI(
        model=str(settings.llm_model),
        base_url=settings.llm_base_url,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,  # a failed call falls back to the template writer; no silent waits
        temperature=0,
    )


def model_name(model: BaseChatModel) -> str:
    """The model's name as recorded in `LlmCall.model`."""
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
