"""`drupe local serve` as a user runs it: a real process, a real port, then the product walkthrough."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from drupe.local.server import free_port
from tests.cli_helpers import run_drupe

SMALL = ["--ctx", "1024", "--threads", "1", "--parallel", "1"]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx2.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base_url} did not become healthy within {timeout} s")


@pytest.fixture
def served(smollm2_gguf: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "local", "serve", "--model", str(smollm2_gguf), "--port", str(port), *SMALL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_serve_answers_openai_anthropic_and_responses_and_stops_on_ctrl_c(served):
    base_url, process = served
    models = httpx2.get(f"{base_url}/v1/models", timeout=10).json()["data"]
    assert [m["id"] for m in models] == ["SmolLM2-135M-Instruct.Q4_1"]
    ask = [{"role": "user", "content": "Say hello."}]
    chat = httpx2.post(
        f"{base_url}/v1/chat/completions", json={"model": models[0]["id"], "messages": ask, "max_tokens": 8}, timeout=60
    ).json()
    assert chat["choices"][0]["message"]["content"]
    assert chat["usage"]["completion_tokens"] > 0
    messages = httpx2.post(f"{base_url}/v1/messages", json={"model": "x", "messages": ask, "max_tokens": 8}, timeout=60)
    assert messages.json()["content"][0]["type"] == "text"
    responses = httpx2.post(
        f"{base_url}/v1/responses", json={"model": "x", "input": "Hi", "max_output_tokens": 8}, timeout=60
    )
    assert responses.json()["object"] == "response"

    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout.startswith(f"Serving SmolLM2-135M-Instruct.Q4_1 at {base_url}/")


def test_walkthrough_add_the_server_as_a_provider_and_chat(served):
    """The README's steps: an OpenAI-type provider at the server's address, no key, the model it reports."""
    base_url, _ = served
    steps = [
        ("provider", "add", "vLLM", "--type", "openai", "--base-url", f"{base_url}/"),
        ("provider", "check", "vLLM", "--model", "SmolLM2-135M-Instruct.Q4_1"),
        ("model", "fetch", "vLLM", "--add", "SmolLM2-135M-Instruct.Q4_1"),
    ]
    for step in steps:
        result = run_drupe(*step)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    model = "SmolLM2-135M-Instruct.Q4_1"
    answer = run_drupe("chat", "-p", "vLLM", "-m", model, "--max-tokens", "8", "--json", "Say hi.")
    assert answer.returncode == 0, answer.stderr
    (stored,) = json.loads(answer.stdout)["answers"]
    assert stored["status"] == "complete", stored
    assert stored["content"]


def test_a_port_in_use_says_so_and_suggests_another(smollm2_gguf):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_drupe("local", "serve", "--model", str(smollm2_gguf), "--port", str(port), *SMALL)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use. "
        f"Stop what uses it, or pick another port with --port, e.g. --port {port + 1}.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: model file not found: {path}."),
        (b"PK\x03\x04 a zip, not a model", "error: {path} is not a GGUF model file"),
    ],
)
def test_a_bad_model_file_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    result = run_drupe("local", "serve", "--model", str(path), "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.startswith(message.format(path=path))
    assert "--model PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_host_says_so(smollm2_gguf):
    result = run_drupe("local", "serve", "--model", str(smollm2_gguf), "--host", "no-such-host.invalid")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot listen on 'no-such-host.invalid': no such address.")


def test_the_cli_does_not_load_llama_cpp_until_serving():
    """`drupe --help` and every other command stay fast, and work without the `local` extra."""
    probe = "import sys, drupe.cli, drupe.local.supervisor, drupe.local.provider; print('xllamacpp' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
