"""What a provider type provides: the one contract every type's class declares.

A provider type (`openai`, `anthropic`…) is one subclass of `ProviderType` in its own module,
listed in `drupe.protocols.types.TYPES`. The class says everything drupe needs to know about
the type: its ID and label, its official address and default API version, what the web form
shows for it, its auth headers, and how to build requests and read answers and model lists.
The transport (`drupe.protocols.client`) calls only what is declared here, so a new type
never needs a branch anywhere else. CONTRIBUTING.md walks through adding one.

The reverse direction, for the APIs drupe serves as a gateway, is `ClientAPI` below: reading a
client's request in that API into a `ChatRequest`, and writing drupe's events back in it (a
stream, a whole body, an error). One subclass per served API lives in `drupe.protocols.serving`,
listed in `drupe.protocols.serving.SERVED`; like a provider type, the gateway calls only what
is declared here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from drupe.i18n import N_
from drupe.protocols.base import ChatRequest, ChatResult, Endpoint, Event, RemoteModel
from drupe.protocols.urls import Operation, resolve_url
from drupe.protocols.wire import StreamParser, WireRequest

if TYPE_CHECKING:
    from drupe.protocols.serving.base import ClientRequest, ServedError, StreamWriter

FormField = Literal["api_version", "stream_usage"]
"""A field of the provider form that only some types show (the rest every type shows):
`stream_usage` is the switch for `Endpoint.stream_usage`, where `build_chat` reads it."""


class ProviderType(ABC):
    """One provider type. Set the class attributes, implement the abstract methods, register
    an instance (built-in types: an entry in `types.BUILT_IN`; others: `types.register_type`)."""

    id: ClassVar[str]
    """As stored and typed on the CLI (`--type`); never changes once users have it."""
    label: ClassVar[str]
    """The name users see in lists and menus."""
    official_base_url: ClassVar[str] = ""
    """The address used when the user gives none; "" when the type has none (see `address_needed`)."""
    default_api_version: ClassVar[str] = "v1"
    """The version path segment added to an address whose path has none (`/v1`, `/v1beta`)."""
    chat_path: ClassVar[str] = ""
    """The chat operation's path after the version (`chat/completions`); see `operation_path`."""
    url_scheme: ClassVar[Literal["api", "azure"]] = "api"
    """Which rules of `drupe.protocols.urls` build its URLs: an API address (rules 1-3) or an
    Azure resource endpoint with an API version (rule 4)."""
    form_fields: ClassVar[tuple[FormField, ...]] = ()
    """The extra fields the provider form shows for this type, like ("api_version",)."""
    address_placeholder: ClassVar[str] = N_("Empty: the official address")
    """What the empty address field shows (English: the faces translate it)."""
    address_help: ClassVar[str] = N_(
        "A trailing / is dropped and a version (/v1) added when the path has none; "
        "end with # to use the address exactly."
    )
    """The hint under the address field (English: the faces translate it)."""
    address_needed: ClassVar[str] = ""
    """For a type with no official address: what to give instead, as told to a user who gave none."""
    api_version_placeholder: ClassVar[str] = ""
    """What the empty API version field shows (when `form_fields` has it)."""
    Parser: ClassVar[type[StreamParser]]
    """Reads one streamed answer's SSE events (a new instance per answer)."""

    def auth_headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        """The headers that carry the key (never the URL) and any the API requires; a Bearer token by default."""
        return {"authorization": f"Bearer {key}"} if key else {}

    def headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        """Every header of a request: ours, the auth headers, then the user's, which win."""
        return {"accept": "application/json", **self.auth_headers(endpoint, key), **endpoint.headers}

    def operation_path(self, operation: Operation, model: str) -> str:
        """The path of `operation` after the version segment; the model list is `models`."""
        return "models" if operation == "models" else self.chat_path

    def chat_url(self, endpoint: Endpoint, model: str, stream: bool) -> str:
        return resolve_url(self, endpoint.base_url, "chat" if stream else "chat_once", model, endpoint.api_version)

    def models_url(self, endpoint: Endpoint) -> str:
        return resolve_url(self, endpoint.base_url, "models", api_version=endpoint.api_version)

    @abstractmethod
    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        """The chat call for `request`: the body as the type's API documents it, then the user's
        extra fields over it (`wire.final_body`)."""

    @abstractmethod
    def parse_response(self, data: dict) -> list[Event]:
        """A whole (non-streamed) answer as the events a stream of it would give; a Finish
        only if the provider said why it stopped. An error payload raises ProviderError."""

    @abstractmethod
    def build_models(self, endpoint: Endpoint, key: str | None, cursor: str | None = None) -> WireRequest:
        """One page of the model list; `cursor` is what `parse_models` returned for the previous page."""

    @abstractmethod
    def parse_models(self, data: dict) -> tuple[list[RemoteModel], str | None]:
        """A page of the model list, and the cursor of the next page (None when it was the last)."""


@dataclass(frozen=True)
class ServedModel:
    """One entry of the model list drupe serves: `PROVIDER/MODEL_ID` or a route name."""

    id: str
    owned_by: str
    """The provider's name, or "route"."""
    name: str = ""


class ClientAPI(ABC):
    """One API drupe serves to other programs (OpenAI chat, Anthropic Messages). Pure: it knows
    no HTTP and no store; `drupe.gateway.api` moves the bytes."""

    id: ClassVar[str]
    """As recorded in usage ("openai", "anthropic")."""
    label: ClassVar[str]
    chat_path: ClassVar[str]
    """The chat operation's path under `/v1/` (`chat/completions`, `messages`)."""
    native_types: ClassVar[tuple[str, ...]]
    """The provider types that speak this API: fields drupe does not translate pass through to them."""

    @abstractmethod
    def read_request(self, body: object) -> ClientRequest:
        """A parsed JSON body as drupe's request. Raises DrupeError (code "invalid", `field` the
        field's path) for a body that is malformed or asks what cannot be translated."""

    @abstractmethod
    def stream_writer(self, model: str, request: ClientRequest) -> StreamWriter:
        """A writer for one streamed answer; `model` is shown to the client as the answering model."""

    @abstractmethod
    def whole_body(self, model: str, result: ChatResult) -> dict:
        """A whole (non-streamed) answer as this API's response body."""

    @abstractmethod
    def error_body(self, error: ServedError) -> dict:
        """A failure in this API's error shape."""

    @abstractmethod
    def models_body(self, models: list[ServedModel]) -> dict:
        """The model list in this API's shape (`GET /v1/models`)."""
