"""Prompt sources for evals: the versioned prompts of `prompts/`, or the same names under
another directory (a candidate prompt, or a deliberately broken one in a test fixture)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from prompts.loader import PROMPTS_DIR, PromptError, prompt_filename


def prompt_path(name: str, version: str, prompts_dir: Path | None = None) -> Path:
    path = (prompts_dir or PROMPTS_DIR) / prompt_filename(name, version)
    if not path.is_file():
        raise PromptError(f"no prompt file {path}")
    return path


def prompt_source(name: str, version: str, prompts_dir: Path | None = None) -> str:
    """The template text (what the prompt hash is computed from)."""
    return prompt_path(name, version, prompts_dir).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _environment(directory: str) -> Environment:
    # the same settings as prompts.loader
    return Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, version: str, prompts_dir: Path | None = None, **variables: Any) -> str:
    path = prompt_path(name, version, prompts_dir)
    return _environment(str(path.parent)).get_template(path.name).render(**variables)
