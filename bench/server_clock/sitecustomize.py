"""The server's own clock for bench/classroom.py: how long the Streamlit server takes to answer each
page's request, timed inside the server, from the moment a request for a script run (a click, a
widget's change, a fragment's timer) reaches the session to the moment that run's 'finished' message
is queued for the browser. The browsers' own load (ten of them on a 2-core machine) is left out of it,
which the page-side timing in classdrive.Session.answers cannot do.

Loaded only by a server that bench/classdrive.py starts with this folder on PYTHONPATH and
CNNLAB_BENCH_CLOCK naming the file to append to (one JSON line per answer: the request's
time.monotonic(), which is the same clock in every process of this machine, the seconds to its
answer, and whether it was a fragment's run). Any other Python started with that environment (the
CIFAR-10 decoding workers) is left alone."""
import os
import sys

_PATH = os.environ.get("CNNLAB_BENCH_CLOCK")


def _install() -> None:
    import json
    import threading
    import time

    from streamlit.runtime import app_session

    lock = threading.Lock()
    asked: dict[str, tuple[float, bool]] = {}       # session id -> (first request not yet answered, a fragment's?)
    session = app_session.AppSession
    handle, enqueue = session.handle_backmsg, session._enqueue_forward_msg

    def handle_backmsg(self, msg):
        if msg.WhichOneof("type") == "rerun_script":
            with lock:
                asked.setdefault(self.id, (time.monotonic(), bool(msg.rerun_script.fragment_id)))
        return handle(self, msg)

    def enqueue_forward_msg(self, msg):
        if msg.WhichOneof("type") == "script_finished":
            with lock:
                first = asked.pop(self.id, None)
            if first is not None:
                line = json.dumps({"asked": first[0], "seconds": time.monotonic() - first[0], "fragment": first[1],
                                   "session": self.id[:8]})
                with lock, open(_PATH, "a") as f:
                    f.write(line + "\n")
        return enqueue(self, msg)

    session.handle_backmsg = handle_backmsg
    session._enqueue_forward_msg = enqueue_forward_msg


if _PATH and "streamlit" in " ".join(sys.orig_argv[:3]):
    try:
        _install()
    except Exception as e:  # noqa: BLE001 - a Streamlit whose insides moved: the bench says so
        print(f"bench/server_clock: not installed ({e!r})", file=sys.stderr)
