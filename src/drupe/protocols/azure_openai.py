"""Azure OpenAI: OpenAI Chat Completions on a user's own resource, with its own key header,
API versions and (for dated versions) deployment URLs."""

from __future__ import annotations

from drupe.i18n import N_
from drupe.protocols.base import Endpoint
from drupe.protocols.openai_chat import OpenAIChat


class AzureOpenAI(OpenAIChat):
    """The body and answers are OpenAI's; the address, key header and token field differ."""

    id = "azure-openai"
    label = "Azure OpenAI"
    official_base_url = ""
    url_scheme = "azure"
    form_fields = ("api_version", "stream_usage")
    address_placeholder = "https://NAME.openai.azure.com"
    address_help = N_(
        "Your resource endpoint. API version v1, preview or empty calls /openai/v1/…; "
        "a dated version calls the deployment URL."
    )
    address_needed = N_("your resource endpoint, like https://NAME.openai.azure.com")
    api_version_placeholder = N_("e.g. 2024-10-21, or v1")

    def auth_headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        return {"api-key": key} if key else {}

    def token_limit_field(self, endpoint: Endpoint, url: str) -> str:
        """Azure takes `max_completion_tokens` from API version 2024-09-01 (and in v1/preview),
        and its reasoning models reject `max_tokens`; older versions know only `max_tokens`."""
        version = (endpoint.api_version or "").strip().lower()
        return "max_completion_tokens" if version in ("", "v1", "preview") or version >= "2024-09-01" else "max_tokens"
