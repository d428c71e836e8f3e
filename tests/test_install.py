"""requirements.txt installs as Streamlit Community Cloud installs it: with uv, the PyTorch CPU index first.

uv gives an --extra-index-url priority over PyPI and, by its default index strategy (first-index), takes
each package from the first index that has the name at all. The PyTorch CPU index carries pillow, numpy,
tqdm and torch's own dependencies too, in older versions than PyPI's, so on Cloud only those versions count
and an exact pin of a newer one fails. These tests build a local stand-in for that index (tiny wheels with
its package names, older versions and real dependencies), put it in the real index's place in a copy of
requirements.txt, and run `uv pip install --dry-run` with PyPI as the default index (frozen at CHECKED_ON).
They need uv (requirements-dev.txt) and PyPI, the package registry, as installing the tests does.

    .venv/bin/python -m pytest tests/test_install.py -q
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
PYPI = "https://pypi.org/simple"
# PyPI as it was when this was checked, so that later uploads cannot change the answer. A pin newer than
# this date shows up as "no version of ..." here: move the date forward with the pins.
CHECKED_ON = "2026-11-30T00:00:00Z"
# When the stand-in's files were put on the index: after torch 2.14.1 (2026-09-30), before CHECKED_ON.
UPLOADED = "2026-10-01T00:00:00Z"


class Release(NamedTuple):
    version: str
    python: str | None                  # Requires-Python
    requires: tuple[str, ...] = ()      # Requires-Dist, those for extras and other platforms left out


# torch and torchvision as the index builds them for Linux: a +cpu local version, and none of the CUDA
# packages that PyPI's builds require there.
TORCH_BUILDS = {
    "torch": [Release("2.14.1+cpu", ">=3.10", (
        "filelock", "typing-extensions>=4.10.0", "setuptools>=77.0.3", "sympy>=1.13.3", "networkx>=2.5.1",
        "jinja2", "fsspec>=0.8.5"))],
    "torchvision": [Release("0.29.1+cpu", ">=3.10,!=3.14.1", ("numpy", "torch>=2.14.0", "pillow!=8.3.*,>=5.3.0"))],
}

# What else download.pytorch.org/whl/cpu serves, from the scripts that build it (pytorch/test-infra,
# s3_management/): the dependencies it copies for torch (update_dependencies.py, PACKAGES_PER_PROJECT:
# filelock, fsspec, jinja2, mpmath, networkx, numpy, pillow, sympy, typing-extensions) and packages its
# index admits beside torch (manage_v2.py, PACKAGE_ALLOW_LIST: certifi, charset-normalizer, idna,
# markupsafe, packaging, requests, setuptools, tqdm, urllib3). The allow list names more (pandas, pyarrow,
# click, ...: for torchtune, triton and vLLM); those are not modelled. The live index's versions cannot be
# read from here, so each name gets two releases: an early one (2022-24) and the last before 2026-06-01,
# four months before torch 2.14.1 (for a few, such as jinja2 3.1.6, still PyPI's newest). Requires-Python
# and Requires-Dist are each release's own, from its metadata on PyPI.
MIRRORED = {
    "certifi": [Release("2022.12.7", ">=3.6"), Release("2026.5.20", ">=3.7")],
    "charset-normalizer": [Release("2.1.1", ">=3.6.0"), Release("3.4.7", ">=3.7")],
    "filelock": [Release("3.13.1", ">=3.8"), Release("3.29.0", ">=3.10")],
    "fsspec": [Release("2024.6.1", ">=3.8"), Release("2026.4.0", ">=3.10")],
    "idna": [Release("3.4", ">=3.5"), Release("3.17", ">=3.9")],
    "jinja2": [Release("3.1.4", ">=3.7", ("MarkupSafe>=2.0",)), Release("3.1.6", ">=3.7", ("MarkupSafe>=2.0",))],
    "markupsafe": [Release("2.1.5", ">=3.7"), Release("3.0.3", ">=3.9")],
    "mpmath": [Release("1.3.0", None), Release("1.4.1", ">=3.9")],
    "networkx": [Release("3.3", ">=3.10"), Release("3.6.1", "!=3.14.1,>=3.11")],
    "numpy": [Release("2.1.2", ">=3.10"), Release("2.4.6", ">=3.11")],
    "packaging": [Release("22.0", ">=3.7"), Release("26.2", ">=3.8")],
    "pillow": [Release("11.0.0", ">=3.9"), Release("12.2.0", ">=3.10")],
    "requests": [
        Release("2.28.1", ">=3.7, <4", (
            "charset-normalizer<3,>=2", "idna<4,>=2.5", "urllib3<1.27,>=1.21.1", "certifi>=2017.4.17")),
        Release("2.34.2", ">=3.10", (
            "charset_normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.26", "certifi>=2023.5.7")),
    ],
    "setuptools": [Release("70.2.0", ">=3.8"), Release("82.0.1", ">=3.9")],
    "sympy": [Release("1.13.3", ">=3.8", ("mpmath<1.4,>=1.1.0",)), Release("1.14.0", ">=3.9", ("mpmath<1.4,>=1.1.0",))],
    "tqdm": [Release("4.66.5", ">=3.7"), Release("4.67.3", ">=3.7")],
    "typing-extensions": [Release("4.12.2", ">=3.8"), Release("4.15.0", ">=3.9")],
    "urllib3": [Release("1.26.13", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*"),
                Release("2.7.0", ">=3.10")],
}


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(folder: Path, name: str, release: Release) -> Path:
    """A valid, empty py3-none-any wheel: METADATA, WHEEL and RECORD, nothing to import."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{release.version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {release.version}\n"
    if release.python:
        metadata += f"Requires-Python: {release.python}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in release.requires)
    wheel = "Wheel-Version: 1.0\nGenerator: cnnlab-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "\n".join([_record_line(f"{info}/METADATA", metadata.encode()),
                        _record_line(f"{info}/WHEEL", wheel.encode()), f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{dist}-{release.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{info}/METADATA", metadata)
        z.writestr(f"{info}/WHEEL", wheel)
        z.writestr(f"{info}/RECORD", record)
    return path


def write_simple_index(root: Path, projects: dict[str, list[Release]]) -> None:
    """A PEP 503 index in plain files: root/index.html lists the projects, root/<name>/index.html the
    wheels beside it, with their sha256 and upload time as the PyTorch index gives them."""
    for name, releases in projects.items():
        folder = root / name
        folder.mkdir(parents=True)
        links = []
        for release in releases:
            wheel = write_wheel(folder, name, release)
            sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
            links.append(f'<a href="{quote(wheel.name)}#sha256={sha256}" data-upload-time="{UPLOADED}">'
                         f'{wheel.name}</a><br/>')
        (folder / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {name}</h1>\n"
                                           + "\n".join(links) + "\n</body></html>\n")
    (root / "index.html").write_text("<!DOCTYPE html>\n<html><body>\n"
                                     + "\n".join(f'<a href="{n}/">{n}</a><br/>' for n in sorted(projects))
                                     + "\n</body></html>\n")


def uv_binary() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        pytest.fail("uv is not installed: `pip install -r requirements-dev.txt` (bash scripts/test does)")
    return found


def uv_env() -> dict[str, str]:
    """This environment without UV_* settings: the check is uv's defaults, as Community Cloud runs it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("UV_")}


class Sandbox(NamedTuple):
    folder: Path     # the copies of requirements.txt
    index: Path      # the stand-in for the PyTorch index
    python: Path     # an empty virtual environment's interpreter, to install into
    cache: Path      # uv's cache, shared by the runs


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    try:
        urllib.request.urlopen(urllib.request.Request(f"{PYPI}/streamlit/", method="HEAD"), timeout=30).close()
    except (urllib.error.URLError, OSError) as e:
        pytest.fail(f"PyPI ({PYPI}) cannot be reached ({e}): this test resolves requirements.txt against it, "
                    "as Community Cloud does, and needs the package registry")
    folder = tmp_path_factory.mktemp("install")
    write_simple_index(folder / "torch-index", TORCH_BUILDS | MIRRORED)
    subprocess.run([uv_binary(), "venv", "--no-config", "--quiet", "--python", sys.executable, str(folder / "venv")],
                   env=uv_env(), check=True, timeout=60)
    return Sandbox(folder, folder / "torch-index", folder / "venv" / "bin" / "python", folder / "uv-cache")


def requirements_with_stand_in(sandbox: Sandbox, name: str, replace: dict[str, str] | None = None) -> Path:
    """A copy of requirements.txt with the stand-in in the PyTorch index's place, and each line that starts
    with a key of `replace` replaced by its value."""
    lines = REQUIREMENTS.read_text().splitlines()
    index_lines = [i for i, line in enumerate(lines) if line.startswith("--extra-index-url")]
    assert [lines[i].split()[1] for i in index_lines] == [TORCH_INDEX], "requirements.txt's extra index changed"
    lines[index_lines[0]] = f"--extra-index-url {sandbox.index.as_uri()}"
    for start, new in (replace or {}).items():
        hits = [i for i, line in enumerate(lines) if line.startswith(start)]
        assert len(hits) == 1, f"requirements.txt has {len(hits)} lines starting with {start!r}"
        lines[hits[0]] = new
    path = sandbox.folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def dry_run(sandbox: Sandbox, requirements: Path, *extra: str) -> tuple[int, str, dict[str, str]]:
    """`uv pip install --dry-run -r requirements` into the empty environment: exit status, output,
    and {name: version} of what it would install."""
    cmd = [uv_binary(), "pip", "install", "--dry-run", "--no-config", "--color", "never",
           "--python", str(sandbox.python), "--cache-dir", str(sandbox.cache),
           "--exclude-newer", CHECKED_ON, "-r", str(requirements), *extra]
    done = subprocess.run(cmd, check=False, env=uv_env(), capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    plan = dict(re.findall(r"^ \+ (\S+)==(\S+)$", output, flags=re.MULTILINE))
    return done.returncode, output, plan


def test_requirements_resolve_with_the_pytorch_index_first(sandbox):
    code, output, plan = dry_run(sandbox, requirements_with_stand_in(sandbox, "requirements.txt"))
    assert code == 0, f"uv could not install requirements.txt with the PyTorch index first:\n{output}"
    # torch and torchvision are the index's CPU builds, not PyPI's (which bring CUDA).
    assert plan["torch"] == "2.14.1+cpu" and plan["torchvision"] == "0.29.1+cpu", output
    # Every package the index carries comes from it alone, in a version it has.
    carried = {name: version for name, version in plan.items() if name in MIRRORED}
    assert {"pillow", "numpy", "tqdm"} <= carried.keys(), output
    for name, version in carried.items():
        assert version in {r.version for r in MIRRORED[name]}, f"{name}=={version} is not on the stand-in"
    # The rest comes from PyPI: the pinned versions, and what they need.
    from_pypi = plan.keys() - MIRRORED.keys() - TORCH_BUILDS.keys()
    assert {"streamlit", "plotly", "pandas"} <= from_pypi, output
    assert plan["streamlit"] == "1.67.0" and plan["plotly"] == "7.1.0", output
    # s3fs (runs kept in object storage) pins the fsspec of its own date: uv finds the one the index has
    assert plan["s3fs"] == plan["fsspec"] and "s3fs" in from_pypi, output


def test_an_exact_pin_the_pytorch_index_lacks_fails_under_first_index(sandbox):
    """The pin requirements.txt had, pillow==13.0.0, is newer than any pillow on the PyTorch index: uv's
    default strategy refuses it although PyPI has it, and looking at every index's versions, as pip does,
    finds it. The ranges in requirements.txt avoid this."""
    old = requirements_with_stand_in(sandbox, "requirements-pinned-pillow.txt", {"pillow": "pillow==13.0.0"})
    code, output, _ = dry_run(sandbox, old)
    assert code != 0, f"pillow==13.0.0 resolved with the PyTorch index first:\n{output}"
    assert "pillow==13.0.0" in output and sandbox.index.as_uri() in output, output

    code, output, plan = dry_run(sandbox, old, "--index-strategy", "unsafe-best-match")
    assert code == 0, output
    assert plan["pillow"] == "13.0.0" and plan["torch"] == "2.14.1+cpu", output
