"""A client nobody on the project wrote: Simon Willison's `llm` CLI, set up as its docs say for
an OpenAI-compatible server (an `extra-openai-models.yaml` naming drupe's `/v1` and a key stored
with `llm keys set`), run as its own process against the gateway, fake providers behind it.
The official SDKs: tests/test_gateway_api.py; a real llama.cpp behind: tests/test_gateway_llama.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from drupe.gateway.keys import GatewayKeys
from tests.fakes.upstream import Fault

LLM = Path(sys.executable).parent / "llm"
TEXT = "Hello from the gateway"


def llm_models(url: str) -> str:
    """`extra-openai-models.yaml` as a user of drupe writes it (docs/gateway.md): one model
    by `PROVIDER/MODEL_ID`, one by route, both on the key stored as `drupe`."""
    models = [("drupe-fake", "openai/fake-model"), ("drupe-fast", "fast")]
    return "".join(
        f'- model_id: {model_id}\n  model_name: {name}\n  api_base: "{url}"\n  api_key_name: drupe\n'
        for model_id, name in models
    )


@pytest.fixture
def llm(tmp_path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `llm ARGS...` with its own user folder (`LLM_USER_PATH`), no plugins and no OpenAI
    key from the environment: it can reach drupe only as it is set up here."""
    if not LLM.exists():
        pytest.skip("the `llm` CLI is not installed (the test extra: pip install -e '.[test]')")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_"))}
    env |= {"LLM_USER_PATH": str(tmp_path / "llm"), "LLM_LOAD_PLUGINS": ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(LLM), *args], env=env, capture_output=True, text=True, timeout=60)

    return run


def set_up(gw, llm, key: str | None = None) -> Path:
    """The yaml file and the key, as `llm`'s docs say; returns `llm`'s user folder."""
    stored = llm("keys", "set", "drupe", "--value", key or gw.secret)
    assert stored.returncode == 0, stored.stderr
    folder = Path(llm("keys", "path").stdout.strip()).parent
    (folder / "extra-openai-models.yaml").write_text(llm_models(gw.url))
    return folder


def logged(llm) -> list[dict]:
    """What `llm` itself recorded of its prompts (it logs every answer, with the usage the server
    reported), newest first."""
    listed = llm("logs", "list", "--json", "-n", "0")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_llm_gets_answers_through_the_gateway_streamed_and_not(gateway, llm, stream):
    gw = gateway(openai={"text": TEXT, "delay": 0.01})
    set_up(gw, llm)
    args = ["prompt", "-m", "drupe-fake", "Say hello", *([] if stream else ["--no-stream"])]
    done = llm(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == TEXT
    sent = gw.upstreams["openai"].requests[-1].json
    assert sent["model"] == "fake-model" and sent["messages"][-1] == {"role": "user", "content": "Say hello"}
    assert bool(sent.get("stream")) is stream  # llm's choice reached the provider as it was
    (row,) = gw.usage(1)
    assert (row.key_name, row.api, row.model, row.provider, row.status) == (
        "tests", "openai", "openai/fake-model", "openai", 200,
    )  # fmt: skip
    (entry,) = logged(llm)
    assert entry["response"] == TEXT and entry["model"] == "drupe-fake"
    # the tokens llm counted are the ones the gateway reported (streamed: via include_usage)
    assert (entry["input_tokens"], entry["output_tokens"]) == (row.input_tokens, row.output_tokens)
    assert row.output_tokens == len(TEXT.split())


def test_llm_keeps_a_conversation_going_through_the_gateway(gateway, llm):
    gw = gateway(openai={"text": TEXT})
    set_up(gw, llm)
    assert llm("-m", "drupe-fake", "First question").returncode == 0
    follow = llm("-c", "Second question")  # continues the last conversation, on the same model
    assert follow.returncode == 0, follow.stderr
    sent = gw.upstreams["openai"].requests[-1].json["messages"]
    assert sent == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": "Second question"},
    ]


def test_llm_asks_for_a_route_by_name_and_its_next_target_answers(gateway, llm):
    gw = gateway(
        broken={"kind": "openai", "fault": Fault("server_error")},
        anthropic={"text": "The route's answer"},
        routes={"fast": ["broken/fake-model", "anthropic/fake-model"]},
    )
    set_up(gw, llm)
    for options in ([], ["--no-stream"]):
        done = llm("-m", "drupe-fast", "Hi", "--system", "Be brief.", *options)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "The route's answer"
    sent = gw.upstreams["anthropic"].requests[-1].json  # llm spoke OpenAI; the provider got its own API
    assert sent["system"] == "Be brief." and sent["messages"] == [{"role": "user", "content": "Hi"}]
    assert len(gw.upstreams["broken"].requests) == 2
    rows = gw.usage(2)
    assert [(r.model, r.route, r.provider, r.status) for r in rows] == [("fast", "fast", "anthropic", 200)] * 2


def test_llm_lists_the_gateways_models_it_was_given(gateway, llm):
    gw = gateway(openai={})
    set_up(gw, llm)
    listed = llm("models", "list")
    assert listed.returncode == 0, listed.stderr
    assert "drupe-fake" in listed.stdout and "drupe-fast" in listed.stdout


def test_llm_with_a_revoked_key_shows_the_gateways_401(gateway, llm):
    gw = gateway(openai={})
    revoked = gw.key("old")
    GatewayKeys(gw.store).revoke("old")
    set_up(gw, llm, key=revoked)
    done = llm("-m", "drupe-fake", "Hi", "--no-stream")
    assert done.returncode != 0 and done.stdout == ""
    assert "401" in done.stderr and "revoked" in done.stderr
    assert gw.upstreams["openai"].requests == []


def test_llm_asking_for_an_unknown_model_hears_how_to_list_them(gateway, llm):
    gw = gateway(openai={})
    folder = set_up(gw, llm)
    with (folder / "extra-openai-models.yaml").open("a") as yaml:
        yaml.write(f'- model_id: typo\n  model_name: opnai/fake-model\n  api_base: "{gw.url}"\n  api_key_name: drupe\n')
    done = llm("-m", "typo", "Hi")
    assert done.returncode != 0 and "404" in done.stderr and "GET /v1/models" in done.stderr
