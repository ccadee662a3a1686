"""`drupe serve` as a user runs it, and the app against a real llama.cpp server and its built-in local model."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import httpx2
import pytest

from drupe.web.local import LocalModel


def start_serve(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, list[str]]:
    """Run `drupe serve --port 0 …` and return it with the lines it printed before serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3 if "--host" in args else 2)]
    return process, lines


def wait_until_answering(url: str, **kwargs) -> httpx2.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx2.get(url, timeout=2, **kwargs)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C: a clean shutdown (uvicorn re-raises the signal, so 130 is the usual exit code)."""
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) in (0, 130)
    assert process.stdout is not None
    assert "Traceback" not in process.stdout.read()


def test_serve_on_loopback_prints_its_url_and_needs_no_token():
    process, lines = start_serve("--no-local")
    try:
        assert lines[0].startswith("drupe is running at http://127.0.0.1:")
        assert "token" not in lines[0] and lines[1].startswith("Local model: off (--no-local)")
        url = lines[0].split()[4]
        meta = wait_until_answering(f"{url}api/meta").json()
        assert meta["token_required"] is False
        assert httpx2.get(f"{url}api/local").json()["status"] == "disabled"
    finally:
        stop(process)


def test_serve_off_loopback_prints_a_token_and_requires_it():
    process, lines = start_serve("--no-local", "--host", "0.0.0.0")
    try:
        url = lines[0].split()[4]
        base, _, fragment = url.partition("#")  # after `#`: the browser never sends it to the server
        token = fragment.removeprefix("token=")
        assert len(token) >= 24 and lines[1].startswith(f"Access token: {token}")
        assert wait_until_answering(f"{base}api/meta").status_code == 401
        assert httpx2.get(f"{base}api/meta", headers={"authorization": f"Bearer {token}"}).status_code == 200
    finally:
        stop(process)


def test_serve_takes_the_token_from_the_environment():
    process, lines = start_serve("--no-local", "--host", "0.0.0.0", env={"DRUPE_TOKEN": "my-own-token"})
    try:
        assert lines[0].rstrip().endswith("/#token=my-own-token  (Ctrl-C stops)")
    finally:
        stop(process)


def test_serve_caps_request_heads_and_bodies():
    process, lines = start_serve("--no-local", env={"DRUPE_MAX_REQUEST_MB": "1"})
    try:
        url = lines[0].split()[4]
        assert wait_until_answering(f"{url}api/meta").status_code == 200
        big_header = httpx2.get(f"{url}api/meta", headers={"x-big": "a" * 70_000})
        assert big_header.status_code == 431
        assert big_header.json()["error"]["kind"] == "too_large"
        assert httpx2.get(f"{url}api/meta", headers={"x-big": "a" * 30_000}).status_code == 200

        title = "x" * (2**20 + 10)
        declared = httpx2.post(f"{url}api/conversations", json={"title": title})
        assert declared.status_code == 413 and declared.json()["error"]["kind"] == "too_large"
        chunked = httpx2.post(
            f"{url}api/conversations", content=(part.encode() for part in ('{"title": "', title, '"}')),
            headers={"content-type": "application/json"},
        )  # fmt: skip
        assert chunked.status_code == 413
        assert httpx2.get(f"{url}api/conversations").json() == []
        assert httpx2.get(f"{url}api/meta").status_code == 200  # the server is fine afterwards
    finally:
        stop(process)


def test_the_data_folder_and_database_are_private(tmp_path):
    home = tmp_path / "fresh-home"
    process, lines = start_serve("--no-local", env={"DRUPE_HOME": str(home)})
    try:
        url = lines[0].split()[4]
        assert httpx2.post(f"{wait_until_answering(url).url}api/conversations", json={}).status_code == 201
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        files = sorted(path.name for path in home.iterdir() if path.name.startswith("drupe.db"))
        assert files == ["drupe.db", "drupe.db-shm", "drupe.db-wal"]
        assert {name: stat.S_IMODE((home / name).stat().st_mode) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        stop(process)


def test_an_existing_data_folder_open_to_others_is_tightened(tmp_path, monkeypatch):
    from drupe import config
    from drupe.store import open_store

    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    (home / "drupe.db").touch(mode=0o644)
    os.chmod(home / "drupe.db", 0o644)
    monkeypatch.setenv("DRUPE_HOME", str(home))
    assert config.home() == home and stat.S_IMODE(home.stat().st_mode) == 0o700
    open_store().engine.dispose()
    assert stat.S_IMODE((home / "drupe.db").stat().st_mode) == 0o600


def test_serve_explains_a_busy_port():
    first, lines = start_serve("--no-local")
    try:
        port = lines[0].split()[4].rsplit(":", 1)[1].strip("/")
        busy = subprocess.run(
            [sys.executable, "-m", "drupe", "serve", "--no-local", "--port", port],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert busy.returncode == 1
        assert f"Cannot listen on 127.0.0.1:{port}" in busy.stderr and "--port" in busy.stderr
    finally:
        stop(first)


def test_a_turn_streams_from_a_real_llama_cpp_server(web_server, llama_server):
    server = web_server()
    provider = server.client.post(
        "/api/providers", json={"name": "llama", "type": "openai", "base_url": llama_server.base_url}
    ).json()
    server.client.post(f"/api/providers/{provider['id']}/models", json={"model_id": llama_server.model_id})
    checked = server.client.post(f"/api/providers/{provider['id']}/check", json={"model": llama_server.model_id})
    assert checked.json()["results"][0]["ok"] is True
    remote = server.client.get(f"/api/providers/{provider['id']}/remote-models").json()["models"]
    assert [m["added"] for m in remote if m["model_id"] == llama_server.model_id] == [True]

    conversation = server.client.post(
        "/api/conversations", json={"settings": {"max_tokens": 24, "temperature": 0}}
    ).json()["id"]
    events = server.events(
        f"/api/conversations/{conversation}/messages",
        {
            "content": "Write a short list of three fruits.",
            "targets": [{"provider": "llama", "model": llama_server.model_id}],
        },
    )
    [done] = [e for e in events if e["type"] == "done"]
    message = done["message"]
    assert message["status"] == "complete", message["error"]
    streamed = "".join(e["text"] for e in events if e["type"] == "delta")
    assert streamed and message["content"] == streamed
    assert message["usage"]["output_tokens"] and message["timings"]["tokens_per_second"]
    assert message["html"].strip().startswith("<")


@pytest.mark.timeout(240)
def test_the_built_in_local_model_starts_in_the_background(web_server, llama_server, tmp_path):
    local = LocalModel(llama_server.model_path, threads=1, ctx=1024, parallel=1, log_path=tmp_path / "local.log")
    started = time.monotonic()
    server = web_server(local=local)
    assert time.monotonic() - started < 5, "the app must not wait for the model"
    deadline = time.monotonic() + 120
    status = server.client.get("/api/local").json()
    assert status["status"] in ("starting", "ready")
    steps = set()
    while status["status"] == "starting" and time.monotonic() < deadline:
        steps.add(status["step"])
        time.sleep(0.2)
        status = server.client.get("/api/local").json()
    assert status["status"] == "ready" and status["step"] is None, status
    assert steps <= {"", f"loading {llama_server.model_path.name}"}  # given a file: nothing to download
    assert status["provider"] == "Local" and status["model"] == llama_server.model_id

    [provider] = [p for p in server.client.get("/api/providers").json() if p["name"] == "Local"]
    assert provider["base_url"] == status["base_url"] and provider["enabled"] is True
    conversation = server.client.post("/api/conversations", json={"settings": {"max_tokens": 8}}).json()["id"]
    events = server.events(
        f"/api/conversations/{conversation}/messages",
        {"content": "Hi", "targets": [{"provider": "Local", "model": status["model"]}]},
    )
    assert [e["message"]["status"] for e in events if e["type"] == "done"] == ["complete"]

    child = local.server
    assert child is not None and child.pid is not None
    server.stop()
    assert child.status == "stopped" and child._process is not None and child._process.poll() is not None


def test_the_head_cap_counts_a_head_that_arrives_in_one_read():
    """A whole oversized head can come in one read (a busy server reads late): it is counted
    before it is parsed, so it never reaches the app; a body after a small head is not counted."""
    from drupe.web.protocol import MAX_HEAD_BYTES, BoundedHttpToolsProtocol

    def fresh() -> BoundedHttpToolsProtocol:
        counter = BoundedHttpToolsProtocol.__new__(BoundedHttpToolsProtocol)
        counter._head_bytes, counter._tail = 0, b""
        return counter

    big_head = b"GET /api/meta HTTP/1.1\r\nx-big: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"
    assert fresh()._head_too_big(big_head)
    small_head_big_body = b"POST /api/conversations HTTP/1.1\r\ncontent-length: 200000\r\n\r\n" + b"x" * 200_000
    assert not fresh()._head_too_big(small_head_big_body)
    split = fresh()  # the blank line split across two reads
    assert not split._head_too_big(b"GET / HTTP/1.1\r\nhost: x\r\n\r")
    assert not split._head_too_big(b"\n" + b"y" * 100_000) and split._head_bytes < 100
