"""The server: Streamlit's own (st.App, Streamlit 1.67's supported way to add routes and middleware to its
starlette server) running dashboard.py, plus what a script run cannot do itself:

- /_kpi/session?ticket=...  redeems a one-time ticket issued by a password sign-in, sets the signed,
  HTTP-only, SameSite=Strict cookie (metrics/sessions.py) and redirects to the page the browser asked for;
- /_kpi/signout             deletes that cookie (sign-out has already revoked it) and redirects back;
- UploadGuard               in front of Streamlit's upload endpoint (/_stcore/upload_file/<session>/<file>):
  with sign-in on, a PUT or DELETE is refused (403) unless the session is signed in as a user who may import
  and the request carries that session's own sign-in cookie; every PUT must state its length and is refused
  (413) before its body is read when it would take the bytes held by its session or by the server past
  their budgets.

Start it with `streamlit run serve.py` (make run does). `streamlit run dashboard.py` still serves the
dashboard with sign-in off; with sign-in on it refuses to show anything.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from metrics import sessions, users

LOG = logging.getLogger("kpi.server")
COOKIE_SECURE_ENV_VAR = "KPI_COOKIE_SECURE"  # 1: always Secure (TLS ends at a reverse proxy)
UPLOAD_RE = re.compile(r"^/(?:[^/]+/)*_stcore/upload_file/([^/]+)/([^/]+)/?$")


def _logging() -> None:
    """Sign-in and upload-guard messages to stderr (the server log), once."""
    logger = logging.getLogger("kpi")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _secure(request: Request) -> bool:
    return (
        request.url.scheme == "https"
        or bool(st.get_option("server.sslCertFile"))
        or os.environ.get(COOKIE_SECURE_ENV_VAR, "") not in ("", "0")
    )


def _base() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def start_session(request: Request) -> Response:
    """Redeem a sign-in ticket: set the cookie and go back to the page asked for; else to the form."""
    ticket = sessions.TICKETS.redeem(request.query_params.get("ticket"))
    if ticket is None:
        LOG.warning("sign-in ticket refused (unknown, used or expired) from %s", _client(request))
        return _no_store(RedirectResponse(f"{_base()}/", status_code=303))
    value, cookie = sessions.make_cookie(ticket.user)
    response = RedirectResponse(sessions.safe_next(ticket.next_url), status_code=303)
    response.set_cookie(
        sessions.COOKIE_NAME,
        value,
        max_age=max(0, int(cookie.expires - time.time())),
        path=f"{_base()}/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return _no_store(response)


async def end_session(request: Request) -> Response:
    """Delete the sign-in cookie (its nonce is revoked by the sign-out itself) and go back."""
    response = RedirectResponse(sessions.safe_next(request.query_params.get("next")), status_code=303)
    response.delete_cookie(
        sessions.COOKIE_NAME, path=f"{_base()}/", secure=_secure(request), httponly=True, samesite="strict"
    )
    return _no_store(response)


def _client(request_or_scope) -> str:
    client = request_or_scope.client if isinstance(request_or_scope, Request) else request_or_scope.get("client")
    return client[0] if client else "?"


class UploadGuard:
    """Pure ASGI middleware in front of Streamlit's upload endpoint (bodies are never read here)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        match = UPLOAD_RE.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] not in ("PUT", "DELETE"):
            await self.app(scope, receive, send)
            return
        session_id = match.group(1)
        request = Request(scope)
        if users.config_path() is not None and not self._may_upload(session_id, request):
            LOG.warning("upload refused: session not signed in as a user who may import (from %s)", _client(scope))
            await self._refuse(send, 403, "Sign in as a user who may import first.")
            return
        if scope["method"] == "DELETE":
            await self.app(scope, receive, send)
            return
        length = request.headers.get("content-length", "")
        if not length.isdigit() or "chunked" in request.headers.get("transfer-encoding", "").lower():
            await self._refuse(send, 411, "An upload must state its length.")
            return
        size = int(length)
        per_session, per_server = sessions.budgets()
        held_session, held_total = _held(session_id)
        if not sessions.UPLOADS.reserve(session_id, size, held_session, held_total, per_session, per_server):
            LOG.warning(
                "upload refused: %d bytes over the budget (session holds %d of %d, server %d of %d)",
                size,
                held_session,
                per_session,
                held_total,
                per_server,
            )
            await self._refuse(send, 413, "Upload budget exceeded.")
            return
        try:
            await self.app(scope, receive, send)
        finally:
            sessions.UPLOADS.release(session_id, size)

    @staticmethod
    def _may_upload(session_id: str, request: Request) -> bool:
        binding = sessions.BINDINGS.get(session_id)
        if binding is None or not binding.may_import:
            return False
        value = request.cookies.get(binding.cookie_name)
        if not value or not hmac.compare_digest(sessions.digest(value), binding.cookie_digest):
            return False
        return binding.cookie_name != sessions.COOKIE_NAME or sessions.read_cookie(value) is not None

    @staticmethod
    async def _refuse(send, status: int, text: str) -> None:
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _held(session_id: str) -> tuple[int, int]:
    """Bytes of uploads Streamlit holds now: for this session, and in all."""
    from streamlit import runtime

    if not runtime.exists():
        return 0, 0
    manager = runtime.get_instance().uploaded_file_mgr
    files = list(getattr(manager, "file_storage", {}).get(session_id, {}).values())
    held_session = sum(len(f.data) for f in files)
    held_total = sum(stat.byte_length for family in manager.get_stats().values() for stat in family)
    return held_session, held_total


_logging()
sessions.ROUTES_INSTALLED = True
# dashboard.py lists the pages with st.navigation. The pages/ folder beside it would make the first run after a
# start an old-style multipage run, which sends the module names as navigation and names the browser tab
# "dashboard" before the router has run (issue 14, item 6): tell Streamlit before any session starts.
PagesManager.uses_pages_directory = False

app = st.App(
    "dashboard.py",
    routes=[
        Route(f"{_base()}{sessions.SESSION_ROUTE}", start_session, methods=["GET"]),
        Route(f"{_base()}{sessions.SIGN_OUT_ROUTE}", end_session, methods=["GET"]),
    ],
    middleware=[Middleware(UploadGuard)],
)
