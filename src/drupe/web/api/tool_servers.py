"""`GET /api/mcp-servers`, read-only and minimal: what the chat's Tools menu offers.

Stands in until the MCP servers' own API (add, edit, check, remove) is in the app; that API
answers the same path with more fields, and this module then goes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from drupe.tools.servers import Approval, McpServers, Transport
from drupe.web.errors import documented

router = APIRouter(prefix="/api", tags=["mcp servers"])


class ServerChoice(BaseModel):
    """An MCP server as the Tools menu lists it."""

    model_config = ConfigDict(extra="forbid")
    name: str
    transport: Transport
    enabled: bool
    approval: Approval


@router.get("/mcp-servers", response_model=list[ServerChoice], responses=documented())
def list_tool_servers(request: Request) -> list[dict[str, Any]]:
    servers = McpServers(request.app.state.store).list_servers()
    return [{"name": s.name, "transport": s.transport, "enabled": s.enabled, "approval": s.approval} for s in servers]
