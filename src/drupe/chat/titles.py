"""Automatic titles: once a conversation's first answer is stored, a model is asked for a short
title to replace the first message, which stood in as the title until then.

The title model is a setting (`titles` in the settings table): by default the model that gave
the answer, or a chosen `provider`/`model`; `enabled: false` turns titles off. Asking never
holds up or breaks the answer: it starts after every answer of the turn is stored, makes one
plain call with no retries, gives up after `TITLE_TIMEOUT` seconds, and any failure leaves the
first message as the title. The title is cleaned (one line, no quotes or "Title:" prefix, at
most `TITLE_LENGTH` characters) and stored only while the conversation still bears the title
the turn gave it, so a title the user set by renaming meanwhile is never overwritten.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drupe.chat.records import MessageRecord, Target
from drupe.errors import DrupeError
from drupe.protocols.base import ChatRequest, Message
from drupe.registry import Provider, Registry

if TYPE_CHECKING:
    from drupe.protocols.client import Connections

log = logging.getLogger("drupe.chat")

TITLES_SETTING = "titles"
"""Settings key holding `{"enabled": bool, "provider": provider_id | null, "model": model_id | null}`."""

TITLE_LENGTH = 60
"""Characters in a title drupe makes (from the first message or by a model)."""

TITLE_TIMEOUT = 10.0
"""Seconds a title may take before the first message stays the title."""

PROMPT_CHARS = 2000
"""Characters of the question and of the answer the title model reads."""

INSTRUCTION = (
    "Give the conversation below a title of at most six words, in the language it is written in. "
    "Reply with the title only: no quotes, no explanation, no punctuation at the end."
)

_PREFIX = re.compile(r"^(title|titre|titel|título|titolo)\s*[:：]\s*", re.IGNORECASE)
_QUOTES = "\"'`“”‘’«»「」*#_"


@dataclass(frozen=True)
class TitleSettings:
    """Whether drupe names conversations, and with which model (None: the chat's own)."""

    enabled: bool = True
    provider: str | None = None
    """The title model's provider id; None with `model` None means the model that answered."""
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "provider": self.provider, "model": self.model}


def title_settings(registry: Registry) -> TitleSettings:
    stored = registry.get_setting(TITLES_SETTING) or {}
    return TitleSettings(bool(stored.get("enabled", True)), stored.get("provider"), stored.get("model"))


def set_title_settings(
    registry: Registry, *, enabled: bool | None = None, model: Target | None = None, own_model: bool = False
) -> TitleSettings:
    """Change what is given: `enabled`; `model` (checked: an enabled provider that has it) or
    `own_model` (back to the chat's own model)."""
    current = title_settings(registry)
    provider_id, model_id = current.provider, current.model
    if own_model:
        provider_id = model_id = None
    elif model is not None:
        owner = registry.get_provider(model.provider)
        if not owner.enabled:
            raise DrupeError(f"Provider {owner.name!r} is disabled.", code="provider_disabled", provider=owner.name)
        registry.get_model(owner, model.model)
        provider_id, model_id = owner.id, model.model
    settings = TitleSettings(current.enabled if enabled is None else enabled, provider_id, model_id)
    registry.set_setting(TITLES_SETTING, settings.to_dict())
    return settings


def title_from(text: str) -> str:
    """The first non-blank line of the first message, cut to `TITLE_LENGTH`: the title until a model gives one."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _capped(line)


def clean_title(text: str) -> str | None:
    """What a model replied, as a title: its first non-blank line without a "Title:" prefix,
    quotes or a closing full stop, whitespace folded, cut to `TITLE_LENGTH`; None if nothing is left."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = _PREFIX.sub("", " ".join(line.split()))
    line = line.strip(_QUOTES + " ").rstrip(".。").strip(_QUOTES + " ")
    return _capped(line) or None


def _capped(line: str) -> str:
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def title_request(model: str, question: str, answer: str) -> ChatRequest:
    """The request for a title: the instruction, then the question and the answer (each cut short)."""
    conversation = f"User: {question[:PROMPT_CHARS]}\n\nAssistant: {answer[:PROMPT_CHARS]}"
    return ChatRequest(
        model=model,
        messages=(Message(role="system", content=INSTRUCTION), Message(role="user", content=conversation)),
    )


def title_model(registry: Registry, settings: TitleSettings, answer: MessageRecord) -> tuple[Provider, str] | None:
    """Who is asked: the chosen model, else the one that gave `answer`; None when that model or
    its provider is gone, or the provider is switched off."""
    provider_id, model = (settings.provider, settings.model) if settings.model else (answer.provider_id, answer.model)
    provider = registry.find_provider(provider_id) if provider_id else None
    if provider is None or not provider.enabled or not model or registry.find_model(provider, model) is None:
        return None
    return provider, model


async def ask_title(
    provider: Provider, request: ChatRequest, connections: Connections | None, timeout: float = TITLE_TIMEOUT
) -> str | None:
    """One plain call, no retries, at most `timeout` seconds; the cleaned title, or None on any failure."""
    from drupe.protocols import client

    try:
        result = await asyncio.wait_for(
            client.complete_chat(provider.endpoint(), request, connections=connections, retry=client.NO_RETRY),
            timeout,
        )
    except Exception as exc:  # whatever went wrong, the first message stays the title
        log.info("No title from %s/%s: %s", provider.name, request.model, exc)
        return None
    return clean_title(result.text)
