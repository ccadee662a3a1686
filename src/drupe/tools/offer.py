"""The tools offered to a model in one request, under the names the model calls them by.

Function names are `[A-Za-z0-9_-]{1,64}` on every provider type, and a model sees one flat list,
so each MCP tool is offered as `<server>__<tool>`: server names are already made of those
characters (`drupe.tools.servers.NAME`). A tool name with other characters (`look.up`) has them
replaced by `_` and gets a short hash of the server and tool names (`web__look_up_1a2b3c4d`), so it
cannot take the name of another tool (`look_up`); a name longer than 64 characters is cut and
hashed the same way. A tool's name so depends on nothing else in the offer: it stays the same from
one turn to the next, whatever else is offered, and the calls already in a conversation keep
naming the tools they called.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drupe.protocols.base import ToolSpec
from drupe.tools.client import ToolInfo
from drupe.tools.servers import McpServer

WIRE_NAME_MAX = 64
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")
_HASH_CHARS = 8


@dataclass(frozen=True)
class OfferedTool:
    spec: ToolSpec
    """What the model is told; `spec.name` is the wire name, unique in the offer."""
    server: McpServer
    tool: ToolInfo

    @property
    def title(self) -> str:
        """`server.tool`, as people read it (and type it after `--tools`)."""
        return f"{self.server.name}.{self.tool.name}"


@dataclass(frozen=True)
class Offer:
    tools: tuple[OfferedTool, ...]

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(tool.spec for tool in self.tools)

    def find(self, wire_name: str) -> OfferedTool | None:
        """The tool a model called by this name; None when it is not in the offer."""
        for tool in self.tools:
            if tool.spec.name == wire_name:
                return tool
        return None


def wire_names(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The name each (server, tool) is offered under; see the module's docstring."""
    names = []
    for server, tool in pairs:
        name = f"{server}__{tool}"
        if len(name) > WIRE_NAME_MAX or _NOT_IN_NAMES.search(name):
            digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:_HASH_CHARS]
            name = f"{_NOT_IN_NAMES.sub('_', name)[: WIRE_NAME_MAX - _HASH_CHARS - 1]}_{digest}"
        names.append(name)
    taken: set[str] = set()
    for index, name in enumerate(names):  # a hashed name can only meet another by a freak: number it then
        number = 1
        while name in taken:
            number += 1
            name = f"{names[index][: WIRE_NAME_MAX - len(str(number)) - 1]}_{number}"
        taken.add(name)
        names[index] = name
    return names


def parameters(tool: ToolInfo) -> dict[str, Any]:
    """The tool's input schema as the providers want it: an object schema, with its properties."""
    schema = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    if schema["type"] == "object":
        schema.setdefault("properties", {})
    return schema


def make_offer(chosen: Sequence[tuple[McpServer, ToolInfo]]) -> Offer:
    names = wire_names([(server.name, tool.name) for server, tool in chosen])
    return Offer(
        tuple(
            OfferedTool(ToolSpec(name, tool.description, parameters(tool)), server, tool)
            for name, (server, tool) in zip(names, chosen)
        )
    )
