"""`drupe provider check` and `drupe model fetch` through real subprocesses, against real sockets."""

import json
import time

import pytest

from drupe.protocols.types import TYPES as REGISTERED
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe
from tests.fakes.upstream import KINDS, Fault

TYPES = [kind for kind in KINDS if REGISTERED[kind].url_scheme == "api"]
"""The types whose fake is reached by its address alone; Azure's deployments have their own test."""


def add(name, type_, base_url, keys=(), models=()):
    registry = Registry(open_store())
    registry.add_provider(name, type_, base_url=base_url, api_keys=list(keys))
    for model in models:
        registry.add_model(name, model)


@pytest.mark.parametrize("kind", TYPES)
def test_check_every_key_of_every_type(fake_upstream, kind):
    up = fake_upstream(kind, api_key="good-key-123456")
    add("P", kind, up.base_url, keys=["good-key-123456", "bad-key-7890abcd"], models=["fake-model"])
    result = run_drupe("provider", "check", "P", "--all-keys")
    assert result.returncode == 1
    assert "ok      goo…3456" in result.stdout
    assert "failed  bad…abcd  auth" in result.stderr
    assert "The provider refused the key" in result.stderr
    assert "good-key-123456" not in result.stdout + result.stderr
    assert run_drupe("provider", "check", "P").returncode == 0


def test_check_azure_deployment(fake_upstream):
    up = fake_upstream("azure-openai", api_key="az-key-00001111")
    registry = Registry(open_store())
    registry.add_provider(
        "Az", "azure-openai", base_url=up.base_url, api_keys=["az-key-00001111"], api_version="2024-10-21"
    )
    registry.add_model("Az", "my deployment")
    result = run_drupe("provider", "check", "Az")
    assert result.returncode == 0, result.stderr
    assert up.requests[-1].path == "/openai/deployments/my%20deployment/chat/completions"
    assert up.requests[-1].headers["api-key"] == "az-key-00001111"


def test_check_hints_for_a_wrong_address_and_nothing_listening(fake_upstream):
    up = fake_upstream("openai")
    add("Wrong", "openai", up.base_url + "/nothing/here#", models=["fake-model"])
    add("Down", "openai", "http://127.0.0.1:9/", models=["fake-model"])
    wrong = run_drupe("provider", "check", "Wrong")
    assert wrong.returncode == 1 and "not_found" in wrong.stderr
    assert "/nothing/here/chat/completions" in wrong.stderr and "exactly as typed" in wrong.stderr
    down = run_drupe("provider", "check", "Down")
    assert down.returncode == 1 and "connection" in down.stderr and "Nothing is listening at 127.0.0.1:9" in down.stderr


def test_check_without_models_says_how_to_add_one(fake_upstream):
    add("Empty", "openai", fake_upstream("openai").base_url)
    result = run_drupe("provider", "check", "Empty")
    assert result.returncode == 1 and "drupe model add Empty" in result.stderr


@pytest.mark.parametrize("kind", TYPES)
def test_fetch_follows_pagination_and_adds(fake_upstream, kind):
    up = fake_upstream(kind, page_size=2, models=("m-one", "m-two", "org/m three:q4", "text-embedding-x"))
    add("P", kind, up.base_url, models=["m-one"])
    listed = json.loads(run_drupe("model", "fetch", "P", "--json").stdout)
    by_id = {m["model_id"]: m for m in listed}
    assert set(by_id) == {"m-one", "m-two", "org/m three:q4", "text-embedding-x"}
    assert by_id["m-one"]["added"] and not by_id["m-two"]["added"]
    assert by_id["text-embedding-x"]["capabilities"] == ["embedding"]
    result = run_drupe("model", "fetch", "P", "--add", "org/m three:q4")
    assert result.returncode == 0 and "Added 1 model(s)" in result.stdout
    ids = [m["model_id"] for m in json.loads(run_drupe("model", "list", "P", "--json").stdout)]
    assert ids == ["m-one", "org/m three:q4"]


def test_fetch_failure_is_shown_not_an_empty_list():
    add("Down", "openai", "http://127.0.0.1:9/")
    result = run_drupe("model", "fetch", "Down")
    assert result.returncode == 1 and "connection" in result.stderr and "/v1/models" in result.stderr


@pytest.mark.parametrize("command", [("provider", "check", "Huge"), ("model", "fetch", "Huge")])
def test_a_100_mb_error_is_shown_clipped_and_at_once(fake_upstream, command):
    up = fake_upstream("openai", fault=Fault("huge_error", size=100 * 1024 * 1024))
    add("Huge", "openai", up.base_url, models=["fake-model"])
    started = time.perf_counter()
    result = run_drupe(*command)
    assert result.returncode == 1 and "Invalid request:" in result.stderr
    assert time.perf_counter() - started < 10 and len(result.stderr) < 6000
    assert "the error body is over 64 KiB; the rest was not read" in result.stderr


def test_seed_walkthrough_against_real_llama_server(llama_server):
    """The product page's vLLM example, word for word, against llama.cpp's own server."""
    base = f"http://localhost:{llama_server.port}/"
    assert run_drupe("provider", "add", "vLLM", "--type", "openai", "--base-url", base).returncode == 0
    fetched = run_drupe("model", "fetch", "vLLM", "--add-all")
    assert fetched.returncode == 0, fetched.stderr
    check = run_drupe("provider", "check", "vLLM")
    assert check.returncode == 0, check.stderr
    assert "ok      (no key)" in check.stdout
    models = json.loads(run_drupe("model", "list", "vLLM", "--json").stdout)
    assert [m["model_id"] for m in models] == [llama_server.model_id]
