"""Plotly figures as SVG or PNG bytes, drawn by kaleido in a headless Chromium (Debian's `chromium`, found on
PATH or through BROWSER_PATH; nothing is downloaded).

Starting Chromium costs about 2 s, a figure after that about 0.1 s, so one browser serves the whole process:
started on the first image, never at import, and closed at exit. It runs on an event loop of its own in a
daemon thread, so callers from any thread (Streamlit runs each session in one) simply wait for their image.
kaleido's own sync server is not used: when the browser fails to start it leaves every later call waiting
forever, and it hands results back through one shared queue, so two threads can swap images."""

from __future__ import annotations

import asyncio
import atexit
import os
import threading

import kaleido
import plotly.graph_objects as go
from kaleido.errors import BrowserClosedError, BrowserFailedError, ChromeNotFoundError

FONT = "Noto Sans CJK SC"  # the font that has the Chinese glyphs (Debian's fonts-noto-cjk)
START_SECONDS = 60
IMAGE_SECONDS = 60
INSTALL = "install Debian's chromium (apt-get install chromium) or point BROWSER_PATH at a Chrome-family browser"


def _which_browser() -> str:
    """Which browser kaleido looks for, in words, for the error messages."""
    chosen = os.environ.get("BROWSER_PATH")
    return f"BROWSER_PATH={chosen!r}" if chosen else "chromium on PATH"


class _Browser:
    """One kaleido (one Chromium tab) on its own event loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="report-images", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._wait(self._open(), START_SECONDS)
        except BaseException:
            self._stop_loop()
            raise
        atexit.register(self.close)  # leave no Chromium behind

    async def _open(self) -> kaleido.Kaleido:
        # mathjax=False: no script is fetched from a CDN; report figures carry no LaTeX.
        browser = kaleido.Kaleido(n=1, timeout=IMAGE_SECONDS, mathjax=False)
        await browser.open()
        return browser

    def _wait(self, coroutine, seconds: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(seconds)

    def image(self, figure: go.Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        return self._wait(self._kaleido.calc_fig(figure, opts=opts), IMAGE_SECONDS + 5)

    def close(self) -> None:
        atexit.unregister(self.close)
        try:
            self._wait(self._kaleido.close(), 10)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


_lock = threading.Lock()
_browser: _Browser | None = None


def _shared() -> _Browser:
    global _browser
    with _lock:
        if _browser is None:
            _browser = _Browser()
        return _browser


def stop() -> None:
    """Close the shared browser (a later image starts a new one)."""
    global _browser
    with _lock:
        browser, _browser = _browser, None
    if browser is not None:
        browser.close()


def figure_image(figure: dict, fmt: str, width: int, height: int, scale: float = 1) -> bytes:
    """The figure (a Plotly figure dict) drawn as `fmt` ("svg" or "png") at `width` x `height` CSS pixels,
    times `scale` for a PNG's pixel density, in the CJK font so that Chinese titles and labels show.

    Raises RuntimeError saying what is missing when the browser cannot be found, started or finishes late:
    a report never goes out with a chart silently left out."""
    fig = go.Figure(figure)
    fig.update_layout(font_family=FONT)
    try:
        return _shared().image(fig, fmt, width, height, scale)
    except ChromeNotFoundError as error:
        raise RuntimeError(
            f"chart images need a Chrome-family browser, none found ({_which_browser()}): {INSTALL}"
        ) from error
    except (BrowserFailedError, BrowserClosedError) as error:
        stop()
        raise RuntimeError(
            f"chart images: the browser ({_which_browser()}) did not start or closed early: {INSTALL}"
        ) from error
    except TimeoutError as error:
        stop()  # a browser that hangs is not reused
        raise RuntimeError(f"chart images: Chromium took more than {IMAGE_SECONDS} s to draw a chart") from error
