"""Versioned prompt templates: `prompts/<name>.<version>.md.j2`, rendered with StrictUndefined.

A prompt is identified by name and version (`briefing_writer`, `v1`); both are recorded with
every model call (`LlmCall.prompt_name`, `.prompt_version`) so an answer can be traced to the exact
text that produced it. A variable the template uses but the caller did not pass is an error, not
an empty string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

PROMPTS_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^v[0-9]+$")


class PromptError(LookupError):
    """A prompt file is missing or its name/version is malformed."""


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    version: str
    text: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def prompt_filename(name: str, version: str) -> str:
    if not _NAME.match(name):
        raise PromptError(f"prompt name {name!r} must be lower_snake_case")
    if not _VERSION.match(version):
        raise PromptError(f"prompt version {version!r} must look like v1, v2, …")
    return f"{name}.{version}.md.j2"


def available_versions(name: str) -> list[str]:
    """Versions of a prompt present on disk, oldest first (v1, v2, …)."""
    versions = [
        path.name.split(".")[1] for path in PROMPTS_DIR.glob(f"{name}.v*.md.j2") if path.is_file()
    ]
    return sorted(versions, key=lambda v: int(v[1:]))


def render_prompt(name: str, version: str, **variables: Any) -> RenderedPrompt:
    """Render `prompts/<name>.<version>.md.j2` with `variables` (missing ones raise)."""
    filename = prompt_filename(name, version)
    try:
        template = _environment().get_template(filename)
    except TemplateNotFound:
        raise PromptError(f"no prompt file {PROMPTS_DIR / filename}") from None
    return RenderedPrompt(name=name, version=version, text=template.render(**variables))
