"""Runs kept in object storage (cnnlib.store, CNNLAB_RUNS=s3://bucket/prefix), against a local
S3-compatible server that each test module starts: moto's server mode, on a free port of this machine.

    .venv/bin/python -m pytest tests/test_store.py -q

A "server" here is a mirror folder (CNNLAB_RUNS_MIRROR): a second one, empty, is a server whose disk
was wiped by a restart, and lists what the first one saved.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import moto.server  # noqa: E402,F401 - moto[server] (requirements-dev.txt) runs the S3 server these tests use
import pytest
import torch
from smalldata import png
from test_checkpoints import history, trained_like_model

from cnnlib import runs, store
from cnnlib.checkpoints import bundle, load_run

logging.getLogger("werkzeug").setLevel(logging.ERROR)      # moto's server logs every request otherwise

PREFIX = "some/prefix"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3:
    """moto's S3 server on a port of its own; stopped and started again on that port by a test."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.start()

    def start(self) -> None:
        from moto.server import ThreadedMotoServer
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module")
def s3():
    server = S3()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3, tmp_path, monkeypatch) -> str:
    """A fresh bucket with credentials in the environment, CNNLAB_RUNS naming a prefix in it, and this
    test's server's mirror in tmp_path/server1; returns the bucket's name."""
    import boto3
    name = f"runs-{uuid.uuid4().hex[:12]}"
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.delenv(store.OPTIONS_VAR, raising=False)
    monkeypatch.setenv("CNNLAB_RUNS", f"s3://{name}/{PREFIX}")
    monkeypatch.setenv(store.MIRROR_VAR, str(tmp_path / "server1"))
    monkeypatch.setattr(store, "_STORES", {})                 # each test's servers start afresh
    monkeypatch.setattr(store, "_app_options", {})
    monkeypatch.setattr(store, "S3_DEFAULTS", {"config_kwargs": {"connect_timeout": 3, "retries": {"max_attempts": 1}}})
    boto3.client("s3", endpoint_url=s3.endpoint).create_bucket(Bucket=name)
    return name


def objects(bucket: str, endpoint: str) -> dict[str, bytes]:
    """Every object in the bucket under PREFIX, by its key after the prefix, read by a client of its own."""
    import boto3
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name="us-east-1")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=PREFIX + "/").get("Contents", [])
    return {o["Key"][len(PREFIX) + 1:]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def put(bucket: str, endpoint: str, key: str, data: bytes) -> None:
    import boto3
    boto3.client("s3", endpoint_url=endpoint).put_object(Bucket=bucket, Key=f"{PREFIX}/{key}", Body=data)


def another_server(tmp_path: Path, monkeypatch, name: str = "server2") -> Path:
    """Switch this test to a server with an empty runs folder (its disk wiped); returns its runs folder."""
    monkeypatch.setenv(store.MIRROR_VAR, str(tmp_path / name))
    return runs.runs_dir()


def equal_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_saved_run_is_published_and_a_wiped_server_lists_and_loads_it(bucket, s3, tmp_path, monkeypatch):
    model = trained_like_model()
    folder = runs.save_history(runs.runs_dir(), model, history(), name="first")
    assert folder.parent == runs.runs_dir() == store.mirror_for(os.environ["CNNLAB_RUNS"])
    assert folder.parent.is_relative_to(tmp_path / "server1")
    stored = objects(bucket, s3.endpoint)
    assert set(stored) == {f"{folder.name}/weights.pt", f"{folder.name}/run.json"}
    assert stored[f"{folder.name}/run.json"] == (folder / "run.json").read_bytes()
    assert [f for f, _ in runs.list_runs()] == [folder] and runs.store_status() is None

    fresh = another_server(tmp_path, monkeypatch)
    assert fresh != folder.parent and not fresh.exists()
    listed = runs.list_runs()
    assert [(f.name, m["name"]) for f, m in listed] == [(folder.name, "first")] and runs.broken_runs() == []
    assert equal_weights(load_run(listed[0][0]).model, model)


def test_two_servers_saving_runs_of_one_name_in_the_same_second_keep_both(bucket, s3, tmp_path, monkeypatch):
    import time
    monkeypatch.setattr(time, "strftime", lambda form, *a: "20261201-020000")    # the same second on both
    first = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="same")
    other = another_server(tmp_path, monkeypatch)              # has not listed the store since the first saved
    second = runs.save_history(other, trained_like_model(), history(), name="same")
    uploaded = runs.add_run_file(bundle(first), "same.zip", other)
    names = {first.name, second.name, uploaded.name}
    assert len(names) == 3 and all(n.startswith("20261201-020000-same-") for n in names)
    assert {k.split("/")[0] for k in objects(bucket, s3.endpoint)} == names        # none written over another
    assert sorted(f.name for f, _ in runs.list_runs()) == sorted(names)
    plain = runs.save_history(tmp_path / "plain", trained_like_model(), history(), name="same")
    assert plain.name == "20261201-020000-same"                # a plain runs folder: its own ~2, ~3 suffice


def test_rename_delete_and_an_uploaded_run_file_go_to_the_store(bucket, s3, tmp_path, monkeypatch):
    model = trained_like_model()
    a = runs.save_history(runs.runs_dir(), model, history(), name="alpha")
    b = runs.add_run_file(bundle(a), "beta.zip")                   # a downloaded run, uploaded again
    assert b != a and f"{b.name}/weights.pt" in objects(bucket, s3.endpoint)
    runs.rename_run(a, "renamed")
    assert json.loads(objects(bucket, s3.endpoint)[f"{a.name}/run.json"])["name"] == "renamed"

    another_server(tmp_path, monkeypatch)
    assert sorted(m["name"] for _, m in runs.list_runs()) == ["alpha", "renamed"]   # beta kept its run.json name
    assert runs.delete_run(runs.runs_dir() / b.name)
    assert set(objects(bucket, s3.endpoint)) == {f"{a.name}/weights.pt", f"{a.name}/run.json"}

    monkeypatch.setenv(store.MIRROR_VAR, str(tmp_path / "server1"))   # the first server sees both changes
    monkeypatch.setattr(store, "EVERY", 0.0)
    assert [(f, m["name"]) for f, m in runs.list_runs()] == [(a, "renamed")] and not b.exists()


def test_the_listing_is_reused_for_a_few_seconds(bucket, s3, monkeypatch):
    runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="one")
    s = store.owning(runs.runs_dir())
    listings = []
    real = s._sync
    monkeypatch.setattr(s, "_sync", lambda: (listings.append(1), real())[1])
    for _ in range(5):                         # five pages' reruns in a row
        assert len(runs.list_runs()) == 1 and runs.broken_runs() == []
    assert len(listings) == 1
    s.sync(force=True)
    assert len(listings) == 2


def test_a_broken_run_in_the_store_is_listed_as_broken_and_can_be_deleted(bucket, s3, tmp_path, monkeypatch):
    good = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="good")
    weights = (good / "weights.pt").read_bytes()
    put(bucket, s3.endpoint, "20260101-000000-abc/run.json",
        json.dumps(dict(json.loads((good / "run.json").read_text()), epochs="abc")).encode())
    put(bucket, s3.endpoint, "20260101-000000-abc/weights.pt", weights)
    put(bucket, s3.endpoint, "20260101-000000-nothing/run.json", (good / "run.json").read_bytes())
    put(bucket, s3.endpoint, "20260101-000000-bad-json/run.json", b"{not json")
    put(bucket, s3.endpoint, "20260101-000000-bad-json/weights.pt", weights)

    fresh = another_server(tmp_path, monkeypatch)
    assert [f.name for f, _ in runs.list_runs()] == [good.name]
    broken = {f.name: why for f, why in runs.broken_runs()}
    assert set(broken) == {"20260101-000000-abc", "20260101-000000-nothing", "20260101-000000-bad-json"}
    assert "'epochs' is 'abc'" in broken["20260101-000000-abc"]
    assert "run.json but no weights.pt" in broken["20260101-000000-nothing"]
    assert "20260101-000000-bad-json" in broken["20260101-000000-bad-json"]
    assert not (fresh / "20260101-000000-abc").exists()           # never fetched: nothing unchecked lands here
    assert runs.delete_run(fresh / "20260101-000000-abc")
    assert not any(k.startswith("20260101-000000-abc/") for k in objects(bucket, s3.endpoint))
    assert {f.name for f, _ in runs.broken_runs()} == {"20260101-000000-nothing", "20260101-000000-bad-json"}
    assert not runs.delete_run(fresh / "..") and not runs.delete_run(fresh)


def test_weights_without_run_json_are_a_save_in_progress_then_a_leftover(bucket, s3, tmp_path, monkeypatch):
    """A save writes weights.pt, then run.json: between the two (or after a save killed there) the store
    holds weights.pt alone. That is no run, and no broken one; once it is as old as no save takes, it goes,
    as a killed save's leftovers go from a runs folder (runs.clean_up)."""
    put(bucket, s3.endpoint, "20260101-000000-killed/weights.pt", b"half a save")
    assert runs.list_runs() == [] and runs.broken_runs() == []
    assert "20260101-000000-killed/weights.pt" in objects(bucket, s3.endpoint)
    monkeypatch.setattr(store, "STALE_SECONDS", -1)
    store.owning(runs.runs_dir()).sync(force=True)
    assert objects(bucket, s3.endpoint) == {}


def test_a_store_that_does_not_answer_keeps_the_run_here_and_gets_it_later(bucket, s3, tmp_path, monkeypatch):
    model = trained_like_model()
    monkeypatch.setattr(store, "RETRY", 0.0)       # each listing tries the store again
    s3.stop()
    try:
        folder = runs.save_history(runs.runs_dir(), model, history(), name="offline")
        assert (folder / "weights.pt").is_file() and [f for f, _ in runs.list_runs()] == [folder]
        problem = runs.store_status()
        assert problem is not None and "kept on this server only" in problem and "(1 now)" in problem
        assert "does not answer" in problem and f"s3://{bucket}/{PREFIX}" in problem
        assert "se conservan solo en este servidor" in problem.say("es")
        runs.rename_run(folder, "renamed offline")                # still fine, here
        assert runs.delete_run(runs.runs_dir() / "20990101-000000-never-stored")  # nothing to tell the store
    finally:
        s3.start()
    assert objects(bucket, s3.endpoint) == {}
    assert [f for f, _ in runs.list_runs()] == [folder] and runs.store_status() is None
    stored = objects(bucket, s3.endpoint)
    assert json.loads(stored[f"{folder.name}/run.json"])["name"] == "renamed offline"
    another_server(tmp_path, monkeypatch)
    assert equal_weights(load_run(runs.list_runs()[0][0]).model, model)


def test_a_run_in_the_store_is_not_deleted_while_the_store_does_not_answer(bucket, s3, monkeypatch):
    folder = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="kept")
    monkeypatch.setattr(store, "RETRY", 0.0)
    s3.stop()
    try:
        assert not runs.delete_run(folder) and folder.exists()
        assert "does not answer" in runs.store_status()
    finally:
        s3.start()
    assert runs.delete_run(folder) and not folder.exists() and objects(bucket, s3.endpoint) == {}


def test_credentials_from_the_apps_secrets_or_the_options_variable(bucket, s3, tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(store, "RETRY", 0.0)
    folder = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="no keys")
    assert runs.store_status() is not None and objects(bucket, s3.endpoint) == {}   # nothing to sign with

    secret = "a-secret-that-is-never-shown"
    store.use_options({"key": "testing", "secret": secret, "endpoint_url": s3.endpoint})   # [runs_storage]
    assert [f for f, _ in runs.list_runs()] == [folder] and runs.store_status() is None
    assert f"{folder.name}/run.json" in objects(bucket, s3.endpoint)

    store.use_options(None)
    monkeypatch.setenv(store.OPTIONS_VAR, json.dumps({"key": "testing", "secret": secret,
                                                       "endpoint_url": s3.endpoint}))
    another_server(tmp_path, monkeypatch)
    assert [f.name for f, _ in runs.list_runs()] == [folder.name]

    monkeypatch.setenv(store.OPTIONS_VAR, "{not json")
    runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="bad options")
    problem = runs.store_status()
    assert "CNNLAB_RUNS_OPTIONS must be a JSON object" in problem and secret not in problem


def test_a_secret_in_an_error_is_never_said(bucket):
    s = store.open_store(os.environ["CNNLAB_RUNS"])
    store.use_options({"secret": "hunter2-very-secret"})
    said = s._why(PermissionError("signature for hunter2-very-secret does not match"))
    assert "hunter2" not in said and "***" in said and "refuses access" in said


def test_a_missing_bucket_or_package_is_named(bucket, s3, monkeypatch):
    monkeypatch.setenv("CNNLAB_RUNS", f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/runs")
    folder = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="nowhere")
    assert [f for f, _ in runs.list_runs()] == [folder]
    assert "its bucket does not exist" in runs.store_status()

    monkeypatch.setenv("CNNLAB_RUNS", f"s3://{bucket}/elsewhere")
    registry = importlib.import_module("fsspec.registry")._registry   # the classes fsspec has imported
    monkeypatch.setitem(sys.modules, "s3fs", None)                    # as if s3fs were not installed
    monkeypatch.delitem(registry, "s3", raising=False)
    runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="no s3fs")
    problem = runs.store_status()
    assert "lacks the Python package s3fs" in problem and "pip install s3fs" in problem

    monkeypatch.setenv("CNNLAB_RUNS", "nosuchkind://bucket/runs")
    assert runs.list_runs() == [] and "nosuchkind://" in runs.store_status()


@pytest.mark.slow
def test_a_folder_of_runs_imports_no_storage_library(tmp_path):
    """The server's memory is measured: a folder user never loads fsspec, s3fs or botocore."""
    code = ("import sys; from cnnlib import runs; runs.list_runs(); runs.broken_runs(); runs.runs_dir(); "
            "runs.store_status(); print(sorted(m for m in ('fsspec', 's3fs', 'botocore') if m in sys.modules))")
    env = {**os.environ, "CNNLAB_RUNS": str(tmp_path / "runs"), "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_the_command_line_saves_to_the_store(bucket, s3, tmp_path, capsys):
    from cnnlib.__main__ import main
    data = tmp_path / "set"
    for name, color in [("red", (220, 20, 20)), ("blue", (20, 20, 220))]:
        (data / name).mkdir(parents=True)
        for k in range(8):
            (data / name / f"{k}.png").write_bytes(png(tuple(min(255, c + 3 * k) for c in color), (24, 24)))
    assert main(["train", "--data", str(data), "--data-root", str(tmp_path / "data"), "--model", "small",
                 "--epochs", "1", "--batch-size", "8", "--name", "from the shell"]) == 0
    out = capsys.readouterr().out
    assert f"Saved the run to s3://{bucket}/{PREFIX}/" in out
    (run,) = {k.split("/")[0] for k in objects(bucket, s3.endpoint)}
    assert json.loads(objects(bucket, s3.endpoint)[f"{run}/run.json"])["name"] == "from the shell"


@pytest.mark.slow
def test_the_runs_page_lists_a_run_only_the_store_has(bucket, s3, tmp_path, monkeypatch):
    """A restarted app (an empty runs folder) shows the runs the store holds, with credentials from its
    secrets ([runs_storage]) and none in the environment; a store that stops answering is a warning."""
    import test_app  # its ROOT: the app's folder
    from streamlit.testing.v1 import AppTest
    folder = runs.save_history(runs.runs_dir(), trained_like_model(), history(), name="in the store")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNLAB_DATA_LIMIT", "300")
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(tmp_path / "no-pretrained"))
    monkeypatch.setattr(store, "EVERY", 0.0)
    monkeypatch.setattr(store, "RETRY", 0.0)
    mirror = another_server(tmp_path, monkeypatch, "app")

    def runs_page(endpoint: str) -> AppTest:
        at = AppTest.from_file(str(test_app.ROOT / "app.py"), default_timeout=60)
        at.secrets["runs_storage"] = {"key": "testing", "secret": "testing", "endpoint_url": endpoint}
        at.run()
        at.switch_page("pages/runs.py").run()
        assert not at.exception
        return at

    at = runs_page(s3.endpoint)
    assert not at.warning and len(at.selectbox(key="manage").options) == 1
    assert at.multiselect(key="compare").value == [str(mirror / folder.name)]
    assert (mirror / folder.name / "weights.pt").is_file()

    at = runs_page(f"http://127.0.0.1:{free_port()}")          # nothing listens there
    assert "kept on this server only" in at.warning[0].value and "testing" not in at.warning[0].value
    assert at.multiselect(key="compare").value == [str(mirror / folder.name)]


def test_a_store_that_refuses_the_credentials_says_so_and_keeps_the_run_here(bucket, s3, monkeypatch):
    """moto accepts any key, so the store's refusal is what s3fs raises for S3's AccessDenied."""
    model = trained_like_model()
    s = store.open_store(runs.location())
    fs = s._filesystem()

    def denied(*args, **kwargs):
        raise PermissionError("Access Denied")
    monkeypatch.setattr(fs, "put_file", denied)
    folder = runs.save_history(runs.runs_dir(), model, history(), name="refused")
    problem = runs.store_status()
    assert problem is not None and problem.key == "store.kept_here" and "Access Denied" in problem
    assert problem.params["problem"].key == "store.denied" and "no permite el acceso" in problem.say("es")
    assert [f for f, _ in runs.list_runs()] == [folder] and s.pending() == [folder.name]
    monkeypatch.undo()                                           # the credentials are right again


def test_a_runs_optimiser_state_goes_to_the_store_comes_back_and_is_deleted_with_it(bucket, s3, tmp_path,
                                                                                  monkeypatch):
    from cnnlib.checkpoints import OPTIMIZER, load_train_state
    from cnnlib.train import TrainState
    h = history()
    h.resume = TrainState(epoch=1, step=4, elapsed=2.0, best=0.45,
                          optimizer={"state": {}, "param_groups": []}).to_dict()
    folder = runs.save_history(runs.runs_dir(), trained_like_model(), h, name="first")
    stored = objects(bucket, s3.endpoint)
    assert stored[f"{folder.name}/{OPTIMIZER}"] == (folder / OPTIMIZER).read_bytes()
    another_server(tmp_path, monkeypatch)
    (there, meta), = runs.list_runs()
    assert load_train_state(there, meta).step == 4                 # a wiped server can continue it exactly
    assert runs.delete_run(there) and objects(bucket, s3.endpoint) == {}
