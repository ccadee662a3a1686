"""The shapes the API answers with, for each route's `response_model`, so /api/openapi.json
describes every JSON response.

A record's fields are declared once, by the core's dataclass (`Provider`, `Model`,
`MessageRecord`, `Conversation`, ...); the models here are built from those fields and add
only what the web edge adds (masking keeps a provider's field types; a message gains its
rendered `html`). They forbid extra fields, so a field the core adds but no schema declares
fails the web tests instead of vanishing from the answers.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from drupe.chat.approval import Decision
from drupe.chat.records import TIMINGS, USAGE, Conversation, MessageRecord, ToolCallRecord, ToolStep
from drupe.gateway.keys import GatewayKey
from drupe.gateway.routes import Route
from drupe.provider_records import MODEL_INTERNAL, Model, Provider
from drupe.remote_models import RemoteEntry
from drupe.tools.servers import McpServer

OUT = ConfigDict(extra="forbid")

Time = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$",
            "description": "ISO 8601 in UTC, without an offset.",
        }
    ),
]
"""A stored time as the API writes it: `datetime.isoformat()` of a naive UTC time. Not JSON
Schema's `date-time` format, which demands an offset (the fuzz test checks answers against it)."""

_WEB_TYPES: dict[Any, Any] = {datetime: Time, datetime | None: Time | None}


def record_fields(record: type, *, without: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields as `create_model` takes them, all required (an answer always has them)."""
    hints = get_type_hints(record)
    names = [f.name for f in fields(record) if f.name not in without and (not only or f.name in only)]
    return {name: (_WEB_TYPES.get(hints[name], hints[name]), ...) for name in names}


def _out(title: str, doc: str, /, **fields_: Any) -> type[BaseModel]:
    return create_model(title, __config__=OUT, __doc__=doc, **fields_)


ConversationOut = _out(
    "Conversation",
    "A conversation and its request settings (null: the provider's default).",
    **record_fields(Conversation),
)


# -- providers and models --------------------------------------------------

ModelOut = _out(
    "Model",
    "A model, with the name of its provider.",
    provider=(str, ...),
    **record_fields(Model, without=tuple(n for n in MODEL_INTERNAL if n != "provider_id")),
)
ProviderOut = _out(
    "Provider",
    "A provider with its keys, secret header values and URL credentials masked, its model count, "
    "and the URLs drupe calls (null when the address is not usable).",
    **record_fields(Provider),
    model_count=(int, ...),
    chat_url=(str | None, ...),
    models_url=(str | None, ...),
)
ProviderWithModels = create_model(
    "ProviderWithModels",
    __base__=ProviderOut,
    __doc__="A provider and its models.",
    models=(list[ModelOut], ...),  # type: ignore[valid-type]
)


class ProviderRemoved(BaseModel):
    model_config = OUT
    removed: str
    models: int


class ProviderFailure(BaseModel):
    """A provider call that failed: its kind, the provider's HTTP status, the URL called, a hint."""

    model_config = OUT
    kind: str
    status: int | None
    message: str
    url: str | None
    hint: str


class KeyCheck(BaseModel):
    model_config = OUT
    index: int
    key: str | None
    ok: bool
    latency_ms: float | None
    error: ProviderFailure | None


class CheckOut(BaseModel):
    model_config = OUT
    model: str
    url: str | None
    results: list[KeyCheck]


class HealthCell(BaseModel):
    """One model with one key (`key_index` into `HealthOut.keys`)."""

    model_config = OUT
    model: str
    key_index: int
    ok: bool
    latency_ms: float | None
    error: ProviderFailure | None
    listed: bool | None = Field(description="By the model list: whether it names the model; null by chat.")


class HealthOut(BaseModel):
    """Every chat model × every key: `method` says how (`models`: one model-list call per key, no
    answer paid for; `chat`: a tiny chat per cell)."""

    model_config = OUT
    provider: str
    method: Literal["models", "chat"]
    keys: list[str | None] = Field(description="Masked, in the provider's order; [null] when it has no key.")
    models: list[str]
    cells: list[HealthCell]
    refused_keys: list[int] = Field(description="Indexes of the keys the provider refused (auth).")


class Urls(BaseModel):
    model_config = OUT
    chat_url: str
    models_url: str


class RemoteModels(BaseModel):
    model_config = OUT
    url: str
    models: list[RemoteEntry]


class Removed(BaseModel):
    model_config = OUT
    removed: str


class DefaultModel(BaseModel):
    """The model a chat given none uses (`drupe model default`); null when none is set, or its
    provider or model is gone."""

    model_config = OUT
    model: ModelOut | None  # type: ignore[valid-type]


# -- MCP servers -------------------------------------------------------------

McpServerOut = _out(
    "McpServer",
    "An MCP server's settings, its environment values, secret header values and URL credentials masked.",
    **record_fields(McpServer),
)
McpServerList: Any = list[McpServerOut]  # type: ignore[valid-type]


class McpParameter(BaseModel):
    """One top-level property of a tool's input schema."""

    model_config = OUT
    name: str
    type: str
    required: bool
    description: str


class McpTool(BaseModel):
    """A tool as the server describes it: its words, to show as text (they come from the server)."""

    model_config = OUT
    name: str
    description: str
    parameters: list[McpParameter]


class McpServerSays(BaseModel):
    """What the server called itself at the handshake."""

    model_config = OUT
    name: str
    version: str


class McpFailure(BaseModel):
    """Why the server could not be used: `kind` is `start`, `connection`, `timeout`, `server`
    (`drupe.tools.client`), `disabled` or `secrets_unreadable`; `message` says it in words."""

    model_config = OUT
    kind: str
    message: str


class McpStatus(BaseModel):
    """`POST /api/mcp-servers/{name}/check`: connected with its tools, or the error."""

    model_config = OUT
    name: str
    connected: bool
    server: McpServerSays | None
    tools: list[McpTool]
    error: McpFailure | None
    latency_ms: float | None = Field(..., description="Connecting and listing the tools, when connected.")


# -- the gateway -------------------------------------------------------------

GatewayKeyOut = _out(
    "GatewayKey",
    "A gateway key as lists show it: its `prefix` (the first 12 characters), never the key; `state` is "
    "`active`, `revoked` or `expired`.",
    **record_fields(GatewayKey),
    state=(str, ...),
)
GatewayKeyList: Any = list[GatewayKeyOut]  # type: ignore[valid-type]


class CreatedGatewayKey(BaseModel):
    """`POST /api/gateway/keys`: the new key's record and the key itself, this once: drupe keeps only its hash."""

    model_config = OUT
    key: GatewayKeyOut  # type: ignore[valid-type]
    secret: str


RouteOut = _out(
    "Route",
    "A gateway route: a model name standing for `PROVIDER/MODEL` targets, tried in order.",
    **record_fields(Route),
)
RouteList: Any = list[RouteOut]  # type: ignore[valid-type]


class UsageRow(BaseModel):
    """One key, model (as asked) or provider: `name` is null for requests that reached no provider."""

    model_config = OUT
    name: str | None
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost: float | None = Field(..., description="USD; null when no request of the row had a price.")
    p50_ttft_ms: float | None
    p50_duration_ms: float | None


class UsageSummary(BaseModel):
    """`GET /api/gateway/usage`: the rows, busiest first, since `since` ago, grouped `by`."""

    model_config = OUT
    since: str
    by: str
    rows: list[UsageRow]


class GatewayInfo(BaseModel):
    """Where programs reach the gateway: `base_url` (OpenAI clients) and `anthropic_base_url`
    (the Anthropic SDK adds `/v1` itself), as this request reached the server; `enabled` is
    false when this server does not answer `/v1`."""

    model_config = OUT
    base_url: str
    anthropic_base_url: str
    enabled: bool


# -- conversations and messages --------------------------------------------

Usage = _out(
    "Usage", "Tokens the provider counted; null when it did not say.", **record_fields(MessageRecord, only=USAGE)
)
Timings = _out(
    "Timings", "How fast the answer came; null for user messages.", **record_fields(MessageRecord, only=TIMINGS)
)


class Siblings(BaseModel):
    model_config = OUT
    index: int
    count: int


ToolCallOut = _out(
    "ToolCall",
    'A tool call of an answer: the name the model called and its `server` and `tool` ("" when it '
    "was not offered), the JSON `arguments` it wrote, where it is (`status`), and the `result` that "
    "went back to the model (the tool's text, or why it did not run).",
    **record_fields(ToolCallRecord),
)
ToolStepOut = _out(
    "ToolStep",
    "One round of tool calls: what the model said before them, then the calls with their results.",
    **record_fields(ToolStep, without=("calls",)),
    calls=(list[ToolCallOut], ...),  # type: ignore[valid-type]
)

StoredMessage = _out(
    "StoredMessage",
    "A message as stored (`MessageRecord.to_dict`): in exports, and the base of `Message`. An answer "
    "that called tools has its rounds in `tool_steps`, before its final text (`content`).",
    **record_fields(MessageRecord, without=("provider_id", "tool_steps", *USAGE, *TIMINGS)),
    tool_steps=(list[ToolStepOut], ...),  # type: ignore[valid-type]
    usage=(Usage, ...),
    timings=(Timings, ...),
)
MessageOut = create_model(
    "Message",
    __base__=StoredMessage,
    __doc__="A stored message for the pages, with its sanitised `html` (and `reasoning_html`, "
    '`""` when there is none; `tool_steps_html`, the text of each round of `tool_steps`) and its '
    "place among its alternatives.",
    html=(str, ...),
    reasoning_html=(str, ...),
    tool_steps_html=(list[str], ...),
    siblings=(Siblings, ...),
)

# A route's `response_model=list[...]` of the models above. Type checkers cannot see classes that
# create_model builds at run time (hence the ignores, here and on the fields below); the routes use
# these names instead of repeating the ignore.
ConversationList: Any = list[ConversationOut]  # type: ignore[valid-type]
ModelList: Any = list[ModelOut]  # type: ignore[valid-type]
ProviderList: Any = list[ProviderOut]  # type: ignore[valid-type]
MessageList: Any = list[MessageOut]  # type: ignore[valid-type]


class MessagePage(BaseModel):
    model_config = OUT
    messages: list[MessageOut]  # type: ignore[valid-type]
    has_more: bool


class Selected(BaseModel):
    model_config = OUT
    conversation: ConversationOut  # type: ignore[valid-type]
    messages: list[MessageOut]  # type: ignore[valid-type]
    has_more: bool


class MessagesRemoved(Selected):
    """`DELETE /api/conversations/{id}/messages/{message_id}`: the ids deleted (the message's
    first), then the conversation and the newest page of its current branch."""

    removed: list[int]


class Export(BaseModel):
    """`GET /api/conversations/{id}/export?format=json`: every message of every branch."""

    model_config = OUT
    conversation: ConversationOut  # type: ignore[valid-type]
    current_branch: list[int]
    messages: list[StoredMessage]  # type: ignore[valid-type]


class Stopped(BaseModel):
    model_config = OUT
    stopped: list[int]


class Decided(BaseModel):
    """A waiting tool call's decision, handed to its turn."""

    model_config = OUT
    answer_id: int
    call_id: str
    decision: Decision


# -- meta -------------------------------------------------------------------


class TypeChoice(BaseModel):
    """A provider type as the provider form offers it: what the type declares for its form
    (`drupe.protocols.contract.ProviderType`)."""

    model_config = OUT
    id: str
    label: str
    address_placeholder: str
    address_help: str
    fields: list[str] = Field(description="The extra fields the form shows for this type, e.g. `api_version`.")
    api_version_placeholder: str


class PresetAlternate(BaseModel):
    """Another API style or region of the same service (an Anthropic-compatible address, a China host…)."""

    model_config = OUT
    name: str
    type: str
    base_url: str
    chat_url: str
    note: str


class PresetOut(BaseModel):
    """A well-known service the + Add dialog offers (`drupe.presets`, docs/providers.md#presets)."""

    model_config = OUT
    id: str
    name: str
    type: str
    base_url: str = Field(description="The address to put in the provider's API address field.")
    chat_url: str = Field(description="The chat URL the vendor documents; `{model}` where the model goes.")
    models: list[str]
    key_url: str = Field(description="Where to get a key; empty for local servers that need none.")
    docs_url: str
    checked: str = Field(description="The vendor page that confirmed this entry.")
    note: str
    local: bool
    alternates: list[PresetAlternate]


class Meta(BaseModel):
    model_config = OUT
    version: str
    types: list[TypeChoice]
    capabilities: list[str]
    token_required: bool
