"""Files a student sends from a page: an image-folder zip kept as a data source, any upload used once
however often the page reruns, and the camera's photo (checked and loaded as any uploaded image is)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from cnnlib import sources, words
from cnnlib.checkpoints import CheckpointError
from cnnlib.data import DataError
from cnnlib.files import DiskFull
from ui.browser import dataset, t, tr
from ui.shared import sessions

T = TypeVar("T")


def keep_upload(upload) -> str:
    """Keep an uploaded image-folder zip on the server and load it (raises DataError if it cannot be
    used, and then it is not kept, or DiskFull). Uploads that no session on the server offers are
    deleted, least recently used first, beyond the server's limit (CNNLAB_UPLOADS_MB)."""
    in_use = {path for run in sessions().active() for path in run.uploads}
    path, _ = sources.add_upload(upload.getvalue(), upload.name, dataset, in_use=in_use)
    return path


def once_per_upload(upload, use: Callable[[], T]) -> tuple[T | None, str]:
    """`use()` the first time the page sees this uploaded file, and its outcome again after that:
    (result, "") or (None, why it cannot be used). The uploader keeps a file across reruns; this
    keeps a big zip from being hashed, unpacked and checked again on every click. The reason is kept
    as cnnlib said it (a words.Message) and said here in the session's language."""
    seen = st.session_state.setdefault("upload_outcomes", {})
    if upload.file_id not in seen:
        try:
            seen[upload.file_id] = (use(), "")
        except (DataError, CheckpointError, DiskFull) as e:
            seen[upload.file_id] = (None, words.message_of(e))
    result, problem = seen[upload.file_id]
    return result, tr(problem)


def use_camera(key: str) -> bool:
    """An Upload / Camera choice; True when the student chose the camera. The camera widget is drawn
    only then, so that the browser asks for the camera only when the student wants it."""
    said = {"upload": t("camera.upload"), "camera": t("camera.camera")}
    return st.radio(t("camera.from"), list(said), key=key, horizontal=True, format_func=said.get) == "camera"


def photo(key: str, size: int):
    """The camera's widget with what it is for; the photo taken (an uploaded file, checked and loaded
    as any upload is), or None before one is taken."""
    st.caption(t("camera.explain", size=size))
    return st.camera_input(t("camera.take"), key=key)
