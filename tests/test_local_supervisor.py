"""The supervisor with a real llama.cpp child: start, stop, restart after a crash, give up, report."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from drupe.errors import DrupeError
from drupe.local.supervisor import LocalServer

SMALL = {"ctx": 1024, "threads": 1, "parallel": 1}


def small_server(model: Path, tmp_path: Path, **options) -> LocalServer:
    return LocalServer(model, log_path=tmp_path / "server.log", start_timeout=60.0, **SMALL, **options)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def is_gone(pid: int) -> bool:
    """Exited: no such process, or a zombie nobody reaped yet (PID 1 in a container may not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_start_waits_until_it_answers_and_stop_ends_the_child(smollm2_gguf, tmp_path):
    ready: list[str] = []
    server = small_server(smollm2_gguf, tmp_path, on_ready=lambda s: ready.append(s.base_url))
    assert server.status == "stopped"
    server.start()
    try:
        assert server.status == "running"
        assert server.model_id == "SmolLM2-135M-Instruct.Q4_1"
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert ready == [server.base_url]
        assert httpx2.get(f"{server.base_url}/v1/models", timeout=10).json()["data"][0]["id"] == server.model_id
        pid = server.pid
    finally:
        server.stop()
    assert server.status == "stopped"
    assert is_gone(pid)


def test_a_killed_child_is_restarted_on_the_same_port(smollm2_gguf, tmp_path):
    ready: list[int] = []
    with small_server(smollm2_gguf, tmp_path, on_ready=lambda s: ready.append(s.pid)) as server:
        first_pid, port = server.pid, server.port
        os.kill(first_pid, signal.SIGKILL)
        wait_for(lambda: server.status == "starting")
        assert "exited with code -9" in server.last_error
        wait_for(lambda: server.status == "running" and server.pid != first_pid)
        assert server.restarts == 1
        assert server.port == port
        assert ready == [first_pid, server.pid]
        assert httpx2.get(f"{server.base_url}/health", timeout=10).status_code == 200


def test_it_gives_up_after_max_restarts_and_says_why(smollm2_gguf, tmp_path):
    with small_server(smollm2_gguf, tmp_path, max_restarts=1) as server:
        os.kill(server.pid, signal.SIGKILL)
        wait_for(lambda: server.status == "running" and server.restarts == 1)
        os.kill(server.pid, signal.SIGKILL)
        wait_for(lambda: server.status == "crashed")
        assert server.restarts == 1
        assert "exited with code -9" in server.last_error
        assert "gave up after 1 restarts" in server.last_error


@pytest.mark.needs_llama  # the child is llama.cpp's own error path
def test_a_child_that_cannot_start_reports_its_own_error(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\xff" * 64)  # a valid header, then nonsense
    server = small_server(broken, tmp_path)
    with pytest.raises(DrupeError, match=r"exited with code 1 while starting: error: llama\.cpp could not load"):
        server.start()
    assert server.status == "crashed"
    assert "could not load" in server.last_error


def test_a_port_in_use_is_refused_before_spawning(smollm2_gguf, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = small_server(smollm2_gguf, tmp_path, port=taken.getsockname()[1])
        with pytest.raises(DrupeError, match="already in use"):
            server.start()
    assert server.pid is None


def test_a_bad_model_fails_before_any_child_is_spawned(tmp_path):
    (tmp_path / "model.gguf").write_text("hello")
    server = small_server(tmp_path / "model.gguf", tmp_path)
    with pytest.raises(DrupeError, match="is not a GGUF model file"):
        server.start()
    assert server.pid is None


def test_it_runs_inside_an_asyncio_app(smollm2_gguf, tmp_path):
    async def app() -> tuple[str, int]:
        async with small_server(smollm2_gguf, tmp_path) as server:
            async with httpx2.AsyncClient(base_url=server.base_url, timeout=60) as client:
                response = await client.post(
                    "/v1/chat/completions",
                    json={"model": server.model_id, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4},
                )
            return response.json()["object"], server.pid

    kind, pid = asyncio.run(app())
    assert kind == "chat.completion"
    assert is_gone(pid)


def test_the_child_stops_when_its_supervisor_is_killed(smollm2_gguf, tmp_path):
    """SIGKILL gives drupe no chance to clean up; the child notices its stdin closing and exits."""
    script = (
        "import sys, time; from pathlib import Path; from drupe.local.supervisor import LocalServer\n"
        f"s = LocalServer(Path({str(smollm2_gguf)!r}), ctx=1024, threads=1, parallel=1, log_path=Path({str(tmp_path / 'log')!r}))\n"
        "s.start(); print(s.pid, flush=True); time.sleep(600)\n"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(supervisor.stdout.readline())
        assert not is_gone(child)
    finally:
        supervisor.kill()
        supervisor.wait()
    wait_for(lambda: is_gone(child), timeout=20)
