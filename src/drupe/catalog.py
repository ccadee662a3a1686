"""What a model ID tells us: its group and its likely capabilities.

Inference is only a default; users override every capability per model.
The table is documented in docs/models.md; keep the two in step.
"""

from __future__ import annotations

import re

CAPABILITIES: tuple[str, ...] = ("text", "vision", "reasoning", "function_calling", "embedding", "rerank", "web_search")

CAPABILITY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("embedding", r"embed|^bge-|/bge-|^e5-|/e5-|^gte-|/gte-|text-embedding|jina-clip|nomic-embed"),
    ("rerank", r"rerank"),
    (
        "vision",
        r"gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-5|\bo[134](-|$)|claude-3|claude-(sonnet|opus|haiku)-4"
        r"|gemini|gemma-?3|llava|-vl\b|-vl-|vl-|vision|pixtral|minicpm-v|internvl|glm-4\.?\dv|glm-4v|qvq|grok-.*vision|grok-4",
    ),
    (
        "reasoning",
        r"\bo[134](-|$)|gpt-5|deepseek-r1|reasoner|qwq|qvq|qwen3|thinking|claude-3-7|claude-(sonnet|opus)-4"
        r"|gemini-2\.5|gemini-3|grok-3-mini|grok-4|magistral|glm-4\.5|glm-z1|\br1\b",
    ),
    (
        "function_calling",
        r"gpt-4|gpt-3\.5-turbo|gpt-5|\bo[34](-|$)|claude|gemini|qwen|deepseek-(chat|v3)|mistral-(large|medium|small)"
        r"|llama-?3\.[123]|llama-?4|glm-4|kimi|grok|command-r",
    ),
    ("web_search", r"search|sonar|online"),
)

_NOT_CHAT = {"embedding", "rerank"}

_FREE = re.compile(r"(^|[^a-z0-9])free($|[^a-z0-9])")
"""`free` as a word of its own: OpenRouter's `:free` variants, `…-free`, "(free)" in a name."""


def infer_capabilities(model_id: str) -> list[str]:
    """Capabilities a model ID suggests, by the pattern table above.

    Every model that is not an embedding or rerank model can take text.
    """
    lowered = model_id.lower()
    found = [cap for cap, pattern in CAPABILITY_PATTERNS if re.search(pattern, lowered)]
    if _NOT_CHAT & set(found):
        return [cap for cap in found if cap in _NOT_CHAT]
    return ["text", *found]


def is_free(model_id: str, name: str = "") -> bool:
    """Whether a model's ID or name says it costs nothing (`meta-llama/llama-3-8b:free`).

    Only what the words say: a price of 0 is known for stored models, not for a remote list.
    """
    return any(_FREE.search(text.lower()) for text in (model_id, name))


def default_group(model_id: str) -> str:
    """The group a model lists under by default.

    The part before the first `/`, `:` or space; else the first two `-`/`_` parts;
    lower-cased. A file path (llama.cpp reports one) is grouped by its file name.
    """
    name = model_id.strip()
    if name.startswith("/") or re.match(r"^[A-Za-z]:\\", name):
        name = re.split(r"[/\\]", name)[-1]
    head = re.split(r"[/: ]", name, maxsplit=1)[0]
    if head != name:
        return head.lower()
    parts = re.split(r"[-_]", name)
    return "-".join(parts[:2]).lower()


def is_chat_model(capabilities: list[str]) -> bool:
    """Embedding and rerank models cannot answer a chat."""
    return not (_NOT_CHAT & set(capabilities))
