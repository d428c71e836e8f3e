"""A page without a browser: a client of Streamlit's own websocket protocol that asks the server
exactly what a browser's page of the app asks (the page's first script run, with its URL's query
string, then each fragment's rerun at the interval the server set for it) and reads every answer,
but draws nothing. Thirty of them cost this machine almost nothing, where thirty Chromium pages on
one core cannot keep up with their own drawing, so what a bench measures with them is the server's
work for thirty pages.

    client = await LightPage.open("http://127.0.0.1:8501", "follow=abc&lang=en")
    ...                       # client.answers: seconds from each request to its 'finished'
    await client.close()
"""
from __future__ import annotations

import asyncio
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class LightPage:
    def __init__(self, ws, query: str):
        self.ws, self.query = ws, query
        self.page_hash = ""                          # the page the server ran (its navigation message says)
        self.timers: dict[str, float] = {}           # fragment id -> seconds between its reruns
        self.asked: float | None = None
        self.first: float | None = None              # seconds to the first run's 'finished' (the page shown)
        self.answers: list[float] = []               # seconds from each later request to its 'finished'
        self.deltas = 0                              # elements received (the page drew something)
        self.seen: dict[str, int] = {}               # messages received, by kind
        self.sent = 0                                # requests sent
        self._opened = time.monotonic()
        self._tasks: list[asyncio.Task] = []

    @classmethod
    async def open(cls, url: str, query: str) -> LightPage:
        ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None)
        page = cls(ws, query)
        page._tasks.append(asyncio.create_task(page._read()))
        await page._ask()
        return page

    async def _ask(self, fragment: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_script_hash = self.query, self.page_hash
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        if self.asked is None:
            self.asked = time.monotonic()
        self.sent += 1
        await self.ws.send(msg.SerializeToString())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg.FromString(raw)
                kind = msg.WhichOneof("type")
                self.seen[kind] = self.seen.get(kind, 0) + 1
                if kind == "navigation" and msg.navigation.page_script_hash:
                    self.page_hash = msg.navigation.page_script_hash
                elif kind == "delta":
                    self.deltas += 1
                elif kind == "auto_rerun" and msg.auto_rerun.fragment_id not in self.timers:
                    self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
                    self._tasks.append(asyncio.create_task(self._rerun(msg.auto_rerun.fragment_id)))
                elif kind == "stop_auto_rerun":
                    for fragment in msg.stop_auto_rerun.fragment_ids:
                        self.timers.pop(fragment, None)
                elif kind == "script_finished" and self.asked is not None:
                    if self.first is None:
                        self.first = time.monotonic() - self._opened
                    else:
                        self.answers.append(time.monotonic() - self.asked)
                    self.asked = None
        except websockets.ConnectionClosed:
            pass

    async def _rerun(self, fragment: str) -> None:
        """As the browser's timer does: a rerun of the fragment every interval, while it has one."""
        while fragment in self.timers:
            await asyncio.sleep(self.timers[fragment])
            if fragment in self.timers and self.asked is None:     # a browser waits for the run before
                await self._ask(fragment)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.ws.close()
