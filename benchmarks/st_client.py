"""A headless Streamlit client: a session without a browser, for load benchmarks.

It speaks Streamlit's own protocol over ``/_stcore/stream`` (protobuf ``BackMsg`` up,
``ForwardMsg`` down; Streamlit 1.67) the way the frontend does, at almost no CPU cost, so
a 2-core machine's cores go to the server:

- ``connect()`` first GETs the page over HTTP (through a proxy, that sets the sticky cookie;
  the replica's name comes from the ``X-Replica`` response header), then opens the websocket
  with that cookie and a same-origin ``Origin``, so the session stays on one replica;
- the first rerun names the page as the frontend does before it knows the page's script
  hash (``page_name`` = the URL path, ``page_script_hash`` empty, ``query_string`` without
  ``?``); later reruns send the page's hash from the ``navigation`` message (``st.navigation``)
  and the query string as the script last set it (``page_info_changed``);
- widgets are read from the deltas (``widget("button", "▶ Start")``); ``click`` sends a
  rerun with that button's ``trigger_value`` set, ``set_text`` one with a text input's
  ``string_value``; the states the client has set are sent with every rerun, as the
  frontend sends every widget's state (the server keeps the others' last values);
- ``st.fragment(run_every=...)``: the server sends ``auto_rerun`` (fragment id, interval)
  when such a fragment is drawn; like the frontend, the client then asks for a rerun of that
  fragment (``is_auto_rerun``) on a fixed timer until ``stop_auto_rerun`` or the next full
  run's ``new_session`` (the frontend's ``setInterval`` and ``cleanupAutoReruns``);
- the Train page's progress text ("step 1,200 of 2,000 · 850 steps/s") is parsed from every
  delta into ``(time, step)`` samples.

    async with StSession("http://localhost:8501", "/train", "task=sentiment") as s:
        await s.wait_for(lambda: s.widget("button", "▶ Start"))
        await s.click("▶ Start")
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

STEP = re.compile(r"step ([\d,]+) of ([\d,]+)")
FULL_RUN_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)


def element_text(el: Element) -> str:
    """The text an element shows or carries (markdown, headings, alerts, progress, HTML,
    labels, a chart's JSON spec...): for searching deltas, not for display."""
    kind = el.WhichOneof("type")
    if kind is None:
        return ""
    body = getattr(el, kind)
    parts = []
    for name in ("body", "text", "label", "spec", "figure", "value", "default"):
        if name in body.DESCRIPTOR.fields_by_name:
            value = getattr(body, name)
            if isinstance(value, str):
                parts.append(value)
            elif hasattr(value, "spec"):  # plotly's Figure message
                parts.append(value.spec)
    return "\n".join(parts)


class StSession:
    """One Streamlit session over a websocket. Use as ``async with`` (connects, closes)."""

    def __init__(self, base_url: str, path: str = "/", query: str = "", *, timeout=60.0):
        self.base = base_url.rstrip("/")
        self.path = "/" + path.strip("/")
        self.query = query.lstrip("?")
        self.timeout = timeout
        self.replica: str | None = None  # the X-Replica header of the page's response
        self.cookie = ""
        self.page_script_hash = ""
        self.states: dict[str, WidgetState] = {}  # widget states this client has set
        self.widgets: dict[tuple[str, str], object] = {}  # (kind, label) -> widget proto
        # the page as drawn: element by delta path (a fragment run replaces its elements)
        self.elements: dict[tuple[int, ...], Element] = {}
        self.samples: list[tuple[float, int]] = []  # (monotonic time, step) from progress
        self.budget: int | None = None
        self.full_runs = 0  # full script runs finished (successfully or not)
        self.fragment_runs = 0
        self.exceptions: list[str] = []
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> timer
        self._changed = asyncio.Event()
        self._ws = None
        self._reader: asyncio.Task | None = None

    # ----------------------------------------------------------------- connection

    def _get_page(self) -> None:
        url = f"{self.base}{self.path}" + (f"?{self.query}" if self.query else "")
        with urllib.request.urlopen(url, timeout=self.timeout) as resp:
            resp.read()
            self.replica = resp.headers.get("X-Replica")
            jar = SimpleCookie()
            for header in resp.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            self.cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items())

    async def connect(self) -> StSession:
        await asyncio.to_thread(self._get_page)
        parts = urlsplit(self.base)
        ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
        ws_url += f"{parts.path}/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self._ws = await connect(
            ws_url,
            origin=f"{parts.scheme}://{parts.netloc}",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,  # a page of charts is more than websockets' 1 MiB default
            open_timeout=self.timeout,
            proxy=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.rerun()  # the frontend's first run: the page by its URL path
        return self

    async def close(self) -> None:
        for _, task in self.timers.values():
            task.cancel()
        self.timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def __aenter__(self) -> StSession:
        return await self.connect()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ----------------------------------------------------------------- sending

    async def rerun(
        self,
        extra: list[WidgetState] = (),
        fragment_id: str = "",
        auto: bool = False,
    ) -> None:
        """A rerun request as the frontend's ``sendRerunBackMsg`` makes it: the widget
        states, the page (its name from the URL until the server named its hash), the query
        string, a fragment id for a fragment run."""
        state = ClientState(
            query_string=self.query,
            page_script_hash=self.page_script_hash,
            page_name="" if self.page_script_hash else self.path.strip("/"),
            fragment_id=fragment_id,
            is_auto_rerun=auto,
        )
        extra_ids = {w.id for w in extra}
        state.widget_states.widgets.extend(
            [w for i, w in self.states.items() if i not in extra_ids] + list(extra)
        )
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        url = f"{self.base}{self.path}" + (f"?{self.query}" if self.query else "")
        state.context_info.url = url
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())

    def widget(self, kind: str, label: str):
        """The widget proto of this kind (``"button"``, ``"text_input"``...) and label last
        drawn, or None."""
        return self.widgets.get((kind, label))

    def widget_by_key(self, kind: str, key: str):
        for (k, _), w in self.widgets.items():
            if k == kind and w.id.endswith(f"-{key}"):
                return w
        return None

    async def click(self, label: str) -> None:
        button = self.widget("button", label)
        if button is None:
            raise LookupError(f"no button {label!r} on the page")
        await self.rerun([WidgetState(id=button.id, trigger_value=True)])

    async def set_text(self, key: str, value: str) -> float:
        """Type ``value`` into the text input with this key and press Enter; returns the
        seconds from sending the rerun to its ``script_finished``."""
        box = self.widget_by_key("text_input", key)
        if box is None:
            raise LookupError(f"no text input with key {key!r} on the page")
        self.states[box.id] = WidgetState(id=box.id, string_value=value)
        before = self.full_runs
        began = time.perf_counter()
        await self.rerun()
        await self.wait_for(lambda: self.full_runs > before)
        return time.perf_counter() - began

    # ----------------------------------------------------------------- receiving

    async def wait_for(self, condition: Callable[[], object], timeout: float | None = None):
        """Wait until ``condition()`` is truthy (checked after every message); returns it."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not (result := condition()):
            if self._reader is not None and self._reader.done():
                self._reader.result()  # the connection's error, if any
                raise ConnectionError("the websocket closed")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("condition not met in time")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
        return result

    @property
    def steps(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def texts(self) -> Iterator[str]:
        for el in self.elements.values():
            yield element_text(el)

    async def _timer(self, fragment_id: str, interval: float) -> None:
        while True:  # setInterval: a fixed period, whether the last run finished or not
            await asyncio.sleep(interval)
            await self.rerun(fragment_id=fragment_id, auto=True)

    def _stop_timers(self, ids=None) -> None:
        for fid in list(self.timers) if ids is None else ids:
            entry = self.timers.pop(fid, None)
            if entry is not None:
                entry[1].cancel()

    async def _read(self) -> None:
        async for data in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            self._handle(msg)
            self._changed.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
            if not msg.metadata.run.fragment_ids:  # a full run: the page starts afresh
                self._stop_timers()
                self.elements = {}
        elif kind == "delta":
            delta = msg.delta
            if delta.WhichOneof("type") == "new_element":
                self._element(tuple(msg.metadata.delta_path), delta.new_element)
        elif kind == "navigation":  # st.navigation: the page this run drew
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":  # the script changed st.query_params
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            fid, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if fid and self.timers.get(fid, (None,))[0] != interval:
                self._stop_timers([fid])
                task = asyncio.get_running_loop().create_task(self._timer(fid, interval))
                self.timers[fid] = (interval, task)
        elif kind == "stop_auto_rerun":
            self._stop_timers(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "script_finished":
            if msg.metadata.run.fragment_ids:
                # a fragment run; one that ends with the next already asked for (the Train
                # page's slices train until it is) is "finished early for rerun"
                self.fragment_runs += 1
            elif msg.script_finished in FULL_RUN_DONE:
                self.full_runs += 1

    def _element(self, path: tuple[int, ...], el: Element) -> None:
        self.elements[path] = el
        kind = el.WhichOneof("type")
        if kind is None:
            return
        body = getattr(el, kind)
        if "id" in body.DESCRIPTOR.fields_by_name and "label" in body.DESCRIPTOR.fields_by_name:
            self.widgets[(kind, body.label)] = body
        elif kind == "progress":
            m = STEP.search(body.text)
            if m:
                step = int(m.group(1).replace(",", ""))
                self.budget = int(m.group(2).replace(",", ""))
                self.samples.append((time.monotonic(), step))
        elif kind == "exception":
            self.exceptions.append(f"{body.type}: {body.message}")


def rate(samples: list[tuple[float, int]], t0: float, t1: float) -> float | None:
    """Steps per second between the first sample at or after ``t0`` and the last at or
    before ``t1`` (None with fewer than two samples in the window)."""
    inside = [(t, s) for t, s in samples if t0 <= t <= t1]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
