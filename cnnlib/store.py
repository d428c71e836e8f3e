"""Runs kept in object storage, so that they outlive a server whose disk is wiped when it restarts
(Streamlit Community Cloud's is). When CNNLAB_RUNS is an fsspec URL (`s3://bucket/prefix`) instead of
a folder, this module owns the store: its address and credentials, this server's working copy of it
(the mirror, a runs folder like any other, which every page reads through cnnlib.runs), and keeping
the two in step: each run saved here is published, runs saved elsewhere are fetched, renames and
deletes go to the store, and a store that does not answer costs no run.

In the store a run is `<prefix>/<folder>/weights.pt` and `run.json`, written in that order (after
optimizer.pt, where training stood, for a run saved with one: fetched with it, if its size fits). Each PUT is
atomic and a run counts only once its run.json is there, so no reader sees half a run; a weights.pt
left alone for STALE_SECONDS is what a killed save left, and is removed (as runs.clean_up does in a
folder). The store's listing is the truth: a run it lists is fetched whole into the mirror (sizes
checked first, as cnnlib.runfile and checkpoints check a folder's), one that cannot be used is listed
as broken, and a mirrored run it no longer lists is removed here. A listing is reused for EVERY
seconds, so thirty pages rerunning cost one request every few seconds.

A run saved here while the store fails (unreachable, refused credentials, no bucket) stays in the
mirror, listed as usual; `status()` says it is kept on this server only, and the next listing or save
publishes it. A mirrored run folder holds STORED, the version of its run.json in the store; one
without it is kept here only, and is never removed to match the store.

Credentials and other fsspec storage options come from the environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL), $CNNLAB_RUNS_OPTIONS (a JSON object) and the app's secrets
(`use_options`). fsspec and s3fs are imported only when a store is used: a server that keeps its runs
in a folder never pays for them.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlib import runfile
from cnnlib.checkpoints import META, OPTIMIZER, PARTIAL, WEIGHTS, check_weights_size, train_state_limit
from cnnlib.files import STALE_SECONDS, DiskFull, atomic_write, fsync_dir, remove, saving, slug
from cnnlib.runfile import CheckpointError
from cnnlib.words import Message, message_of

OPTIONS_VAR = "CNNLAB_RUNS_OPTIONS"   # a JSON object of fsspec storage options (the command line's secrets)
MIRROR_VAR = "CNNLAB_RUNS_MIRROR"     # where the mirrors are kept (default: the data folder's runs-mirror/)
STORED = ".stored"                    # in a mirrored run folder: the version of its run.json in the store
EVERY = 5.0                           # seconds a listing of the store is reused
RETRY = 15.0                          # seconds before a listing tries a store that failed again
# The S3 client's patience: a store that does not answer holds a page or a save up for seconds, not minutes
S3_DEFAULTS = {"config_kwargs": {"connect_timeout": 3, "read_timeout": 20, "retries": {"max_attempts": 2}}}
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}
SECRET_OPTIONS = ("key", "secret", "token", "password", "account_key", "sas_token", "aws_secret_access_key",
                  "aws_access_key_id", "aws_session_token")   # never said in a message
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.~-]{0,199}")      # a run folder's name (checkpoints.new_run_folder)


def is_url(location: str | os.PathLike) -> bool:
    """Whether CNNLAB_RUNS names object storage (an fsspec URL such as s3://bucket/prefix), not a folder."""
    return "://" in str(location)


class _BadOptions(ValueError):
    """$CNNLAB_RUNS_OPTIONS is not a JSON object."""


class _UnknownKind(ValueError):
    """The URL's protocol is none that fsspec knows."""


_app_options: dict[str, Any] = {}


def use_options(options: Mapping[str, Any] | None) -> None:
    """Storage options from the app's secrets (ui.shared reads a [runs_storage] section): credentials,
    endpoint_url and the like, as fsspec takes them; they win over $CNNLAB_RUNS_OPTIONS."""
    global _app_options
    _app_options = dict(options or {})


def _options() -> dict[str, Any]:
    raw = os.environ.get(OPTIONS_VAR, "").strip()
    try:
        env = json.loads(raw) if raw else {}
    except ValueError as e:
        raise _BadOptions(e.msg) from None          # what JSON's parser says (the options' text may hold a secret)
    if not isinstance(env, dict):
        raise _BadOptions(type(env).__name__)
    return {**env, **_app_options}


def public(url: str) -> str:
    """The URL as a message may show it: without a user or password written into it."""
    return re.sub(r"(://)[^/@]*@", r"\1", url)


def mirror_for(url: str) -> Path:
    """This server's working copy of the store at `url`: a folder of its own under $CNNLAB_RUNS_MIRROR,
    or under the data folder's runs-mirror/ (kept with the data, so a run saved while the store does
    not answer survives a restart wherever the disk does)."""
    base = os.environ.get(MIRROR_VAR)
    if not base:
        from cnnlib.sources import data_root
        base = data_root() / "runs-mirror"
    return Path(base) / f"{slug(public(url).replace('://', '-'))[:48]}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class StoreConfig:
    url: str           # where runs are kept: an fsspec URL, e.g. s3://bucket/prefix ($CNNLAB_RUNS)
    mirror: Path       # this server's working copy of it: the runs folder that the pages read

    @property
    def protocol(self) -> str:
        return self.url.split("://", 1)[0].lower()


class Store:
    """One store and its mirror, shared by every session of the server (thread-safe: one lock keeps
    the listing, the fetches and the publishing in order)."""

    def __init__(self, config: StoreConfig):
        self.config = config
        self._lock = threading.RLock()
        self._fs = None                      # the fsspec filesystem, made on first use
        self._fs_options = ""                # the options it was made with (new secrets: a new one)
        self._root = ""                      # the store's path as the filesystem names it (bucket/prefix)
        self._due = 0.0                      # time.monotonic() when the next listing may ask the store
        self._tried = False                  # a listing was tried: later ones never wait for another
        self._problem: Message | None = None  # why the store failed last time it was used; None once it answers
        self._broken: dict[str, str] = {}    # runs in the store that cannot be used -> why
        self._in_store: set[str] = set()     # runs whose run.json the store held at the last listing

    @property
    def mirror(self) -> Path:
        return self.config.mirror

    @property
    def where(self) -> str:
        return public(self.config.url)

    # --- what the pages ask ----------------------------------------------------------------------

    def sync(self, force: bool = False) -> None:
        """Bring the mirror in step with the store, unless that was done less than EVERY seconds ago
        (RETRY after a failure). Only the first listing is waited for: while one is going on, other
        callers read the mirror as it is. Never raises: a failure is kept for `status()`."""
        if not force and time.monotonic() < self._due:
            return
        if not self._lock.acquire(blocking=force or not self._tried):
            return
        try:
            if force or time.monotonic() >= self._due:
                self._tried = True
                failed = self._attempt(self._sync)
                self._due = time.monotonic() + (RETRY if failed else EVERY)
        finally:
            self._lock.release()

    def broken(self) -> list[tuple[Path, str]]:
        """(mirror folder, why) for each run in the store that cannot be used; deleting it deletes it there."""
        return [(self.mirror / name, why) for name, why in sorted(self._broken.items())]

    def pending(self) -> list[str]:
        """The runs kept on this server only: saved (or renamed) here, not yet in the store."""
        return sorted(name for name, version in self._mirrored().items() if version is None)

    def status(self) -> Message | None:
        """What a page says while the store fails: why, and that runs saved meanwhile are kept here
        only until it answers; None while it works."""
        if self._problem is None:
            return None
        return Message("store.kept_here", where=self.where, problem=self._problem, n=len(self.pending()))

    # --- what saving, renaming and deleting a run do -----------------------------------------------

    def publish(self, folder: str | os.PathLike, only_meta: bool = False) -> Message | None:
        """Send a run saved in the mirror to the store (weights.pt, then run.json), and any other run
        still kept here only; `only_meta`: its run.json alone (a rename). None once it is there, else
        `status()`: the run stays in the mirror and the next listing or save tries again."""
        name = Path(folder).name
        with self._lock:
            failed = self._attempt(lambda: (self._publish(name, only_meta), self._publish_pending()))
        return self.status() if failed else None

    def delete(self, name: str) -> bool:
        """Delete a run from the store (run.json first, so that no listing counts it from then on).
        False if the store held it and could not be told; a run it never held is fine."""
        if not _NAME.fullmatch(name):
            return False
        with self._lock:
            def rm() -> None:
                fs = self._filesystem()
                for file in (META, WEIGHTS, OPTIMIZER):
                    try:
                        fs.rm_file(self._path(name, file))
                    except FileNotFoundError:
                        pass
            if self._attempt(rm) and (name in self._in_store or _version_here(self.mirror / name) is not None):
                return False
            # replaced, never changed in place: pages read them without the lock
            self._in_store = self._in_store - {name}
            self._broken = {n: why for n, why in self._broken.items() if n != name}
            return True

    # --- the work ----------------------------------------------------------------------------------

    def _filesystem(self):
        options = _options()
        key = json.dumps(options, sort_keys=True, default=str)
        if self._fs is None or key != self._fs_options:
            # here only: a server that keeps its runs in a folder never imports fsspec or s3fs
            import fsspec
            if self.config.protocol not in fsspec.available_protocols():
                raise _UnknownKind(self.config.protocol)
            if self.config.protocol in ("s3", "s3a"):
                options = {**S3_DEFAULTS, **options}
            # the filesystem is cached here, by its options; fsspec's own cache would keep an old endpoint
            self._fs, root = fsspec.core.url_to_fs(self.config.url, skip_instance_cache=True, **options)
            self._root, self._fs_options = root.rstrip("/"), key
        return self._fs

    def _path(self, name: str, file: str) -> str:
        return f"{self._root}/{name}/{file}"

    def _attempt(self, action: Callable[[], Any]) -> bool:
        """Run `action` against the store; True if it failed, its reason kept for `status()`."""
        try:
            action()
        except Exception as e:  # noqa: BLE001 - whatever the store or its client raises, the page goes on
            self._problem = self._why(e)
            return True
        self._problem = None
        return False

    def _why(self, e: BaseException) -> Message:
        """A failure of the store in words: what to do about it, never a secret."""
        if isinstance(e, DiskFull):
            return e.message
        if isinstance(e, ImportError):
            package = PACKAGES.get(self.config.protocol) or getattr(e, "name", None) or self.config.protocol
            return Message("store.needs_package", package=package)
        if isinstance(e, _BadOptions):
            return Message("store.bad_options", var=OPTIONS_VAR, detail=str(e))
        if isinstance(e, _UnknownKind):
            return Message("store.unknown_kind", protocol=self.config.protocol)
        detail = f"{type(e).__name__}: {e}"
        try:
            options = _options()
        except ValueError:
            options = {}
        for name, value in options.items():
            if name.lower() in SECRET_OPTIONS and isinstance(value, str) and len(value) >= 4:
                detail = detail.replace(value, "***")
        detail = detail[:300]
        if isinstance(e, PermissionError):
            return Message("store.denied", detail=detail)
        if isinstance(e, FileNotFoundError):
            return Message("store.no_bucket", detail=detail)
        return Message("store.unreachable", detail=detail)

    def _mirrored(self) -> dict[str, str | None]:
        """Each run folder in the mirror -> the version of its run.json in the store, None if it is kept
        here only."""
        try:
            entries = [e for e in os.scandir(self.mirror) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return {}
        found = {}
        for e in entries:
            folder = Path(e.path)
            if _NAME.fullmatch(e.name) and ((folder / META).is_file() or (folder / WEIGHTS).is_file()):
                found[e.name] = _version_here(folder)
        return found

    def _sync(self) -> None:
        fs = self._filesystem()
        fs.invalidate_cache()
        stored: dict[str, dict[str, dict]] = {}        # run -> file -> what the listing says of it
        for path, info in fs.find(self._root, detail=True).items():   # one listing (in pages of 1,000)
            parts = path[len(self._root):].strip("/").split("/")
            if path.startswith(self._root) and len(parts) == 2 and _NAME.fullmatch(parts[0]) \
                    and parts[1] in (META, WEIGHTS, OPTIMIZER):
                stored.setdefault(parts[0], {})[parts[1]] = info
        self._in_store = {name for name, files in stored.items() if META in files}
        published = set()
        for name, version in self._mirrored().items():
            if version is None:                          # saved or renamed here while the store failed
                self._publish(name)
                published.add(name)
            elif name not in self._in_store:             # deleted from the store (by another server)
                remove(self.mirror / name)
        broken = {}
        for name, files in stored.items():
            if META not in files:
                for file, info in files.items():            # a save killed between its files
                    if _age(info) > STALE_SECONDS:
                        fs.rm_file(self._path(name, file))
            elif name not in published and (why := self._fetch(name, files)):
                broken[name] = why
        self._broken = broken

    def _fetch(self, name: str, files: dict[str, dict]) -> str | None:
        """Bring a run from the store into the mirror, unless the mirror has that version; its sizes
        and run.json are checked first, as a folder's are. Returns why it cannot be used, or None."""
        local, version = self.mirror / name, _version(files[META])
        here = _version_here(local)
        if here == version or (here is None and local.exists()):
            return None                              # up to date, or kept here only (never written over)
        fs = self._filesystem()
        try:
            runfile.check_size(files[META]["size"], name)
            raw = fs.cat_file(self._path(name, META))
            meta = runfile.parse(raw, name)
            if WEIGHTS not in files:
                raise CheckpointError(Message("runs.half", name=name, there=META, missing=WEIGHTS))
            check_weights_size(files[WEIGHTS]["size"], meta, name)
            optimizer = OPTIMIZER in files and files[OPTIMIZER]["size"] <= train_state_limit(meta)
        except CheckpointError as e:
            if here is not None:
                remove(local)                        # an older copy of what is now unusable
            return message_of(e)
        with saving(Message("what.the_run_named", name=name)):
            self.mirror.mkdir(parents=True, exist_ok=True)
            partial = self.mirror / f"{PARTIAL}{name[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
            partial.mkdir()
            try:
                fs.get_file(self._path(name, WEIGHTS), str(partial / WEIGHTS))
                if optimizer:                        # too big: the run continues with a fresh optimiser
                    fs.get_file(self._path(name, OPTIMIZER), str(partial / OPTIMIZER))
                (partial / META).write_bytes(raw)
                (partial / STORED).write_text(version)
                if local.is_dir():                   # a new version of a run mirrored before: file by file
                    if not optimizer:
                        (local / OPTIMIZER).unlink(missing_ok=True)
                    for file in (OPTIMIZER, WEIGHTS, META, STORED) if optimizer else (WEIGHTS, META, STORED):
                        os.replace(partial / file, local / file)
                else:
                    os.rename(partial, local)
                fsync_dir(self.mirror)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
        return None

    def _publish(self, name: str, only_meta: bool = False) -> None:
        folder = self.mirror / name
        if not (folder / META).is_file() or not (folder / WEIGHTS).is_file():
            return
        if _version_here(folder) is not None:
            if not only_meta:
                return                               # in the store already (a listing sent it meanwhile)
        else:
            only_meta = False                        # never sent whole: send both files
        (folder / STORED).unlink(missing_ok=True)   # kept here only until the store has this run.json
        fs = self._filesystem()
        if not only_meta:
            if (folder / OPTIMIZER).is_file():
                fs.put_file(str(folder / OPTIMIZER), self._path(name, OPTIMIZER))
            fs.put_file(str(folder / WEIGHTS), self._path(name, WEIGHTS))
        fs.put_file(str(folder / META), self._path(name, META))
        version = _version(fs.info(self._path(name, META)))
        with saving(Message("what.the_run_named", name=name)):
            atomic_write(folder / STORED, version.encode())
        self._in_store = self._in_store | {name}

    def _publish_pending(self) -> None:
        for name, version in self._mirrored().items():
            if version is None:
                self._publish(name)


def _version(info: dict) -> str:
    """Which version of a file the store holds: its ETag, or its size and time where it has none."""
    etag = info.get("ETag") or info.get("etag")
    return str(etag) if etag else f"{info.get('size')}@{info.get('LastModified') or info.get('mtime')}"


def _version_here(folder: Path) -> str | None:
    try:
        return (folder / STORED).read_text()
    except OSError:
        return None


def _age(info: dict) -> float:
    """Seconds since the store wrote a file; 0 when it does not say (then it is never thought stale)."""
    when = info.get("LastModified") or info.get("mtime") or info.get("created")
    if isinstance(when, datetime.datetime):
        return time.time() - when.timestamp()
    if isinstance(when, (int, float)):
        return time.time() - when
    return 0.0


# --- one Store per mirror, for the whole process ---------------------------------------------------

_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str) -> Store:
    """The store at `url`, with this server's mirror of it (made once per process; nothing is asked
    of the store until it is used)."""
    config = StoreConfig(url, mirror_for(url))
    key = str(config.mirror.resolve())
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = Store(config)
        return _STORES[key]


def owning(folder: str | os.PathLike) -> Store | None:
    """The store whose mirror `folder` is, if any (None for every folder when no store is in use)."""
    if not _STORES:
        return None
    return _STORES.get(str(Path(folder).resolve()))
