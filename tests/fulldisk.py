"""A full disk, faked without root: every file that CNN Lab's writers open for writing takes the
first few bytes of a write, then raises OSError(ENOSPC), as a disk that fills up halfway does.
(A real one: `mount -t tmpfs -o size=1m tmpfs DIR` as root, as in shared/testing/README.md.)"""
from __future__ import annotations

import builtins
import errno
import os

import pytest

import cnnlib.checkpoints
import cnnlib.data
import cnnlib.files

WRITERS = (cnnlib.files, cnnlib.checkpoints, cnnlib.data)   # the modules that open files to write


class FillingFile:
    """An open file on a disk that is about to be full."""

    def __init__(self, f, code: int):
        self._f, self._code = f, code

    def write(self, data) -> int:
        self._f.write(bytes(data[:16]))
        raise OSError(self._code, os.strerror(self._code))

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._f.close()


def fill(monkeypatch: pytest.MonkeyPatch, code: int = errno.ENOSPC) -> None:
    """From now on (until the test ends), writes by CNN Lab's writers fail with `code`."""
    def filling_open(file, mode="r", *args, **kwargs):
        f = builtins.open(file, mode, *args, **kwargs)   # noqa: SIM115 - returned open, as open() does
        return FillingFile(f, code) if any(c in mode for c in "wax+") else f
    for module in WRITERS:
        monkeypatch.setattr(module, "open", filling_open, raising=False)
