"""The MCP server registry: validated, stored, secrets encrypted at rest and masked in what is shown."""

from __future__ import annotations

import asyncio
import sys

import pytest
from cryptography.fernet import Fernet

from drupe.errors import DrupeError
from drupe.store import open_store
from drupe.store.tables import mcp_servers
from drupe.tools.client import server_info
from drupe.tools.servers import McpServers, parse_env

ENV_SECRET = "env-secret-value-0123456789"
HEADER_SECRET = "Bearer header-secret-9876543210"


@pytest.fixture
def servers() -> McpServers:
    return McpServers(open_store())


def test_add_list_get_edit_enable_disable_remove(servers):
    servers.add("time", "stdio", command=sys.executable, args=["-m", "mcp_server_time"])
    servers.add("Web", "http", url="http://127.0.0.1:8000/mcp", headers={"X-Team": "a"})
    assert [s.name for s in servers.list_servers()] == ["time", "Web"]
    assert servers.get("web").url == "http://127.0.0.1:8000/mcp"  # names ignore case
    assert servers.get("time").args == ["-m", "mcp_server_time"]

    servers.edit("time", name="clock", timeout=5)
    assert servers.get("clock").timeout == 5 and servers.find("time") is None
    assert servers.disable("clock").enabled is False
    assert servers.get("clock").enabled is False
    assert servers.enable("clock").enabled is True
    servers.remove("web")
    assert [s.name for s in servers.list_servers()] == ["clock"]
    with pytest.raises(DrupeError) as caught:
        servers.get("web")
    assert (caught.value.code, caught.value.data["what"]) == ("not_found", "mcp_server")


@pytest.mark.parametrize(
    ("name", "transport", "fields", "field"),
    [
        ("has space", "stdio", {"command": "x"}, "name"),
        ("a" * 33, "stdio", {"command": "x"}, "name"),
        ("ok", "ftp", {"command": "x"}, "transport"),
        ("ok", "stdio", {"command": "  "}, "command"),
        ("ok", "stdio", {"command": "x", "url": "http://h/"}, "url"),
        ("ok", "http", {"url": "not a url"}, "url"),
        ("ok", "http", {"url": "ftp://host/mcp"}, "url"),
        ("ok", "http", {"url": "http://h/", "env": {"A": "1"}}, "command"),
        ("ok", "stdio", {"command": "x", "timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(servers, name, transport, fields, field):
    with pytest.raises(DrupeError) as caught:
        servers.add(name, transport, **fields)
    assert (caught.value.code, caught.value.data["field"]) == ("invalid", field)
    assert servers.list_servers() == []


def test_a_taken_name_is_a_conflict_and_the_first_is_kept(servers):
    servers.add("time", "stdio", command="first")
    with pytest.raises(DrupeError) as caught:
        servers.add("TIME", "stdio", command="second")
    assert caught.value.code == "conflict"
    assert servers.get("time").command == "first"


@pytest.mark.parametrize("pair", ["NOEQUALS", "1BAD=x", "=x", "A-B=x"])
def test_bad_env_pairs_say_how_to_write_them(pair):
    with pytest.raises(DrupeError) as caught:
        parse_env([pair])
    assert caught.value.data["field"] == "env" and "NAME=VALUE" in str(caught.value)


def test_env_values_and_secret_headers_are_encrypted_at_rest_and_masked(servers, drupe_home):
    servers.add("time", "stdio", command="srv", env={"API_TOKEN": ENV_SECRET, "EMPTY": ""})
    servers.add(
        "web", "http", url="http://user:url-password-4242@127.0.0.1:1/mcp",
        headers={"Authorization": HEADER_SECRET, "X-Team": "research"},
    )  # fmt: skip
    servers.store.engine.dispose()
    stored = b"".join(path.read_bytes() for path in drupe_home.iterdir() if path.name.startswith("drupe.db"))
    assert b"API_TOKEN" in stored and b"research" in stored  # the probe reads the right files
    for secret in (ENV_SECRET, "header-secret-9876543210", "url-password-4242"):
        assert secret.encode() not in stored

    again = McpServers(open_store())
    time, web = again.get("time"), again.get("web")
    assert time.env == {"API_TOKEN": ENV_SECRET, "EMPTY": ""}
    assert web.headers == {"Authorization": HEADER_SECRET, "X-Team": "research"}
    assert web.url == "http://user:url-password-4242@127.0.0.1:1/mcp"
    shown = repr([time.public_dict(), web.public_dict()])
    for secret in (ENV_SECRET, "header-secret-9876543210", "url-password-4242"):
        assert secret not in shown
    assert web.public_dict()["headers"]["X-Team"] == "research"
    assert web.public_dict()["url"] == "http://user:***@127.0.0.1:1/mcp"


def test_secrets_sealed_with_another_key_are_flagged_not_leaked(servers):
    servers.add("good", "stdio", command="srv", env={"API_TOKEN": ENV_SECRET})
    servers.add("time", "stdio", command="srv", env={"API_TOKEN": ENV_SECRET})
    other = Fernet(Fernet.generate_key()).encrypt(b'{"env": {"API_TOKEN": "x"}}').decode()
    with servers.store.engine.begin() as conn:
        conn.execute(mcp_servers.update().where(mcp_servers.c.name == "time").values(secrets=other))
    server = McpServers(open_store()).get("time")
    assert server.secrets_unreadable and server.env == {"API_TOKEN": ""}
    assert McpServers(open_store()).get("good").env == {"API_TOKEN": ENV_SECRET}
    with pytest.raises(DrupeError) as caught:
        asyncio.run(server_info(server))
    assert caught.value.code == "secrets_unreadable"


def test_a_wrong_key_is_refused_while_mcp_secrets_need_the_right_one(servers, monkeypatch):
    servers.add("time", "stdio", command="srv", env={"API_TOKEN": ENV_SECRET})
    monkeypatch.setenv("DRUPE_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(DrupeError) as caught:
        McpServers(open_store()).get("time")
    assert caught.value.code == "secrets_unreadable" and "MCP server time" in str(caught.value)


def test_a_lost_key_is_not_replaced_while_mcp_secrets_need_it(servers, drupe_home):
    """As for providers' secrets (drupe.secrets.open_vault): a new key would make these unreadable for good."""
    servers.add("time", "stdio", command="srv", env={"API_TOKEN": ENV_SECRET})
    (drupe_home / "secret.key").unlink()
    with pytest.raises(DrupeError) as caught:
        McpServers(open_store()).get("time")
    assert caught.value.code == "secrets_unreadable" and "MCP server time" in str(caught.value)
    assert not (drupe_home / "secret.key").exists()
