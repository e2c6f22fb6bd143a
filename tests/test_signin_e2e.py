"""Sign-in against a real server (`streamlit run serve.py`, one for the module, sign-in on with a temporary
users file), driven as the security review did (issue 16): Debian's chromium for the users, and for the
attacker Streamlit's own websocket protocol (BackMsg/ForwardMsg protobufs over /_stcore/stream, the
session id passed the way the frontend passes it when it reconnects) and raw HTTP PUTs to the upload
endpoint.

- a reload, and a new tab, keep a signed-in user signed in; a deep link opened before signing in lands on
  its page and filters afterwards; sign-out ends it (and a copy of the cookie stays dead);
- a signed-in session id replayed over a websocket without the cookie gets the sign-in form only (with the
  cookie, the same replay gets the dashboard: the check is the cookie);
- uploads before sign-in, into someone else's session, or by a supervisor are refused and the server's
  memory stays flat; a director's uploads are held within a per-session and a per-server budget (413).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import e2e_server as e2e
import pytest
from google.protobuf import text_format
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from data.cli import build_sample
from metrics import sessions

MISSING = e2e.missing_requirements()
if MISSING and not e2e.in_ci():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)
if not MISSING:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=45_000)  # a loaded 2-core machine: Playwright's 5 s default is too short
    from websockets.sync.client import connect

USERS_FILE = e2e.ROOT / "tests" / "fixtures" / "users" / "users.toml"
PASSWORDS = {"director": "director-pass-1", "sup": "supervisor-pass-2"}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 45_000
MB = 1024 * 1024
SESSION_BUDGET_MB, SERVER_BUDGET_MB = 8, 12  # small, so the budgets are reached with small uploads


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if MISSING:
        pytest.fail(f"{MISSING} (CI is set, so the browser tests fail instead of skipping)", pytrace=False)
    folder = tmp_path_factory.mktemp("signin")
    db_path = folder / "kpi.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert build_sample(str(db_path)) == 0
    users_file = folder / "users.toml"
    shutil.copy(USERS_FILE, users_file)
    env = {
        "KPI_USERS": str(users_file),
        sessions.STATE_DIR_ENV_VAR: str(folder / "state"),
        sessions.SESSION_BUDGET_ENV_VAR: str(SESSION_BUDGET_MB),
        sessions.SERVER_BUDGET_ENV_VAR: str(SERVER_BUDGET_MB),
    }
    with e2e.StreamlitServer(db_path, folder / "streamlit.log", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


# ---------------------------------------------------------------- the browser side


def settled(page) -> None:
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def sign_in_form(page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()


def cookie_dropped(context) -> None:
    """Wait (up to TIMEOUT_MS) until the browser holds no session cookie; fail if it keeps one."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while [c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME]:
        assert time.monotonic() < deadline, "the session cookie is still there after signing out"
        time.sleep(0.1)


def sign_in(page, name: str) -> None:
    sign_in_form(page)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()


def session_ids(page) -> list[str]:
    """Session ids the server hands this page (from the new_session messages on its websocket)."""
    found: list[str] = []

    def on_socket(ws) -> None:
        def on_frame(payload) -> None:
            if isinstance(payload, bytes | bytearray):
                message = ForwardMsg()
                with contextlib.suppress(Exception):
                    message.ParseFromString(bytes(payload))
                    if message.WhichOneof("type") == "new_session":
                        found.append(message.new_session.initialize.session_id)

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return found


def where(page) -> tuple[str, dict]:
    url = urllib.parse.urlsplit(page.url)
    return url.path, urllib.parse.parse_qs(url.query)


def signed_in_cookie(context) -> str:
    (cookie,) = [c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    return cookie["value"]


def test_a_deep_link_survives_sign_in_and_a_reload_keeps_it(server, context):
    page = context.new_page()
    page.goto(f"{server.url}/branches?period=last_year&cmp=none")
    settled(page)
    sign_in(page, "director")
    expect(page.get_by_role("heading", name="Branches", exact=True)).to_be_visible()
    settled(page)
    assert where(page) == ("/branches", {"period": ["last_year"], "cmp": ["none"]})
    expect(page.get_by_role("main")).to_contain_text("2025-01-01 – 2025-12-31")  # the last full year
    expect(page.get_by_role("combobox", name="Comparison")).to_have_value("None")
    cookie = signed_in_cookie(context)
    assert "director-pass-1" not in cookie

    page.reload()  # no password again
    settled(page)
    expect(page.get_by_role("heading", name="Branches", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Signed in as Dana Director")

    other = context.new_page()  # a new tab of the same browser
    other.goto(f"{server.url}/")
    settled(other)
    expect(other.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in_form(page)
    cookie_dropped(context)  # the form shows at once; the browser drops the cookie on the redirect after it
    settled(page)
    assert where(page) == ("/branches", {"period": ["last_year"], "cmp": ["none"]})  # the link survives
    page.reload()
    settled(page)
    sign_in_form(page)
    other.reload()  # the other tab's cookie is gone too
    settled(other)
    sign_in_form(other)

    context.add_cookies([{"name": sessions.COOKIE_NAME, "value": cookie, "url": server.url}])  # a kept copy
    other.reload()
    settled(other)
    sign_in_form(other)  # revoked on the server


def test_the_sign_in_form_and_a_wrong_password_set_no_cookie(server, context):
    page = context.new_page()
    page.goto(f"{server.url}/data")
    settled(page)
    sign_in_form(page)
    page.get_by_role("textbox", name="User name").fill("director")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME]
    assert "not-the-password" not in server.log_tail(200)
    page.goto(f"{server.url}{sessions.SESSION_ROUTE}?ticket=guessed")  # a guessed ticket: back to the form
    settled(page)
    sign_in_form(page)
    assert not [c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME]


# ---------------------------------------------------------------- the attacker side: Streamlit's protocol


def xsrf_cookie(server) -> str:
    """The XSRF cookie Streamlit hands any visitor (the sign-in page fetches /_stcore/health too)."""
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as answer:
        header = answer.headers["set-cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


@contextlib.contextmanager
def connected(server, cookies: dict[str, str], session_id: str | None = None, page_name: str = ""):
    """Open /_stcore/stream as the frontend does (subprotocols: "streamlit", the XSRF token, and the session id
    to reconnect to), ask for a run of `page_name`, collect what the server sends until the run ends, and keep
    the connection open (so the session stays active) until the block ends."""
    protocols = ["streamlit", cookies.get("_streamlit_xsrf", "PLACEHOLDER_AUTH_TOKEN")]
    if session_id:
        protocols.append(session_id)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    uri = server.url.replace("http://", "ws://") + "/_stcore/stream"
    seen = {"session_id": None, "elements": [], "texts": [], "redirects": []}
    with connect(uri, subprotocols=protocols, additional_headers=headers, origin=server.url, max_size=None) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_name = page_name
        back.rerun_script.context_info.url = f"{server.url}/{page_name}"
        ws.send(back.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=60))
            kind = message.WhichOneof("type")
            if kind == "new_session":
                seen["session_id"] = message.new_session.initialize.session_id
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                seen["elements"].append(element.WhichOneof("type"))
                seen["texts"].append(text_format.MessageToString(element, as_utf8=True))
            elif kind == "auth_redirect":
                seen["redirects"].append(message.auth_redirect.url)
            elif kind == "script_finished":
                break
        seen["text"] = "\n".join(seen["texts"])
        yield seen


def stream(server, cookies: dict[str, str], session_id: str | None = None, page_name: str = "") -> dict:
    """One run over a websocket of its own, closed afterwards; what the server sent."""
    with connected(server, cookies, session_id, page_name) as seen:
        return seen


def only_the_form(seen: dict) -> bool:
    return (
        "Sign in" in seen["text"]
        and 'label: "Password"' in seen["text"]
        and "metric" not in seen["elements"]
        and "dataframe" not in seen["elements"]
        and "file_uploader" not in seen["elements"]
        and "Signed in as" not in seen["text"]
        and "Import history" not in seen["text"]
    )


def test_a_replayed_session_id_without_the_cookie_gets_the_sign_in_form_only(server, context):
    page = context.new_page()
    ids = session_ids(page)
    page.goto(f"{server.url}/data")
    settled(page)
    sign_in(page, "director")
    expect(page.get_by_role("heading", name="Import history")).to_be_visible()
    settled(page)
    victim = ids[-1]  # the director's session: the id a proxy log shows in /_stcore/upload_file/<id>/...
    cookie = signed_in_cookie(context)

    # The attacker: its own XSRF cookie, no sign-in cookie, the victim's session id, the Data page.
    attacker = {"_streamlit_xsrf": xsrf_cookie(server)}
    seen = stream(server, attacker, victim, "data")
    assert seen["session_id"] == victim  # Streamlit did hand over the session...
    assert only_the_form(seen), seen["elements"]  # ...and it was signed out before anything rendered
    assert "Dana Director" not in seen["text"]
    seen = stream(server, attacker, victim, "data")  # again, now that the session was signed out
    assert only_the_form(seen)

    # The same replay carrying the director's cookie gets the dashboard: the cookie is what is checked.
    seen = stream(server, {**attacker, sessions.COOKIE_NAME: cookie}, victim, "data")
    assert "file_uploader" in seen["elements"] and "Import history" in seen["text"]
    assert "Signed in as Dana Director" in seen["text"]

    # The director's tab reconnects with its cookie and is still signed in.
    page.reload()
    settled(page)
    expect(page.get_by_role("heading", name="Import history")).to_be_visible()


# ---------------------------------------------------------------- uploads


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def rss(server) -> int:
    """Resident memory of the server process, bytes."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def put(server, session_id: str, size: int, cookies: dict[str, str], file_id: str | None = None) -> int:
    """PUT a `size`-byte file to the upload endpoint as the browser does (multipart, X-Xsrftoken), over a raw
    socket that keeps sending the whole body even when the server answers early; the HTTP status."""
    file_id = file_id or str(uuid.uuid4())
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + size + len(tail)
    request = (
        f"PUT /_stcore/upload_file/{session_id}/{file_id} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nOrigin: {server.url}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n"
        f"X-Xsrftoken: {cookies.get('_streamlit_xsrf', '')}\r\n"
        f"Cookie: {'; '.join(f'{k}={v}' for k, v in cookies.items())}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:

        def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    answer.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        chunk = b"a" * MB
        with contextlib.suppress(OSError):
            sock.sendall(request + head)
            sent = 0
            while sent < size:
                piece = chunk[: min(MB, size - sent)]
                sock.sendall(piece)
                sent += len(piece)
            sock.sendall(tail)
        reader.join(60)
    assert answer.startswith(b"HTTP/1.1 "), bytes(answer[:200])
    return int(answer[9:12])


def test_uploads_before_sign_in_are_refused_and_memory_stays_flat(server, context):
    director_page = context.new_page()
    ids = session_ids(director_page)
    director_page.goto(server.url)
    settled(director_page)
    sign_in(director_page, "director")
    expect(director_page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    settled(director_page)
    victim = ids[-1]  # open in the director's tab

    anonymous = {"_streamlit_xsrf": xsrf_cookie(server)}
    with connected(server, anonymous) as sign_in_page:  # the sign-in page's own session, as the review used
        assert only_the_form(sign_in_page)
        session = sign_in_page["session_id"]
        before = rss(server)
        targets = (session, session, victim, victim, session)
        statuses = [put(server, target, 40 * MB, anonymous) for target in targets]
        after = rss(server)
    assert statuses == [403] * 5
    assert after - before < 30 * MB, (before, after)  # 200 MB sent, none of it held
    assert "upload refused: session not signed in as a user who may import" in server.log_tail(400)


def test_a_director_uploads_within_the_budgets_and_a_supervisor_cannot(server, browser):
    cookies = {}
    for name in ("director", "sup"):
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(server.url)
        settled(page)
        sign_in(page, name)
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
        settled(page)
        cookies[name] = {"_streamlit_xsrf": xsrf_cookie(server), sessions.COOKIE_NAME: signed_in_cookie(ctx)}
        ctx.close()
    director = cookies["director"]

    with connected(server, cookies["sup"]) as supervisor:
        assert "Signed in as Sam Supervisor" in supervisor["text"]
        assert put(server, supervisor["session_id"], MB, cookies["sup"]) == 403  # a supervisor may not import

    with connected(server, director) as one, connected(server, director) as two:
        first, second = one["session_id"], two["session_id"]
        assert "Signed in as Dana Director" in one["text"] and first != second
        assert put(server, first, MB, cookies["sup"]) == 403  # a director's session, someone else's cookie
        assert put(server, first, MB, {"_streamlit_xsrf": director["_streamlit_xsrf"]}) == 403  # no cookie
        kept = str(uuid.uuid4())
        assert put(server, first, 5 * MB, director, kept) == 204
        assert put(server, first, 5 * MB, director) == 413  # 10 MB > 8 MB for one session
        assert put(server, second, 5 * MB, director) == 204  # 10 MB of 12 on the server
        assert put(server, second, 3 * MB, director) == 413  # 13 MB > 12 MB on the server

        chunked = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        chunked.request(
            "PUT",
            f"/_stcore/upload_file/{second}/{uuid.uuid4()}",
            body=iter([b"a" * 1000] * 3),
            headers={"X-Xsrftoken": director["_streamlit_xsrf"], "Cookie": cookie_header(director)},
            encode_chunked=True,
        )
        assert chunked.getresponse().status == 411  # no stated length, no upload
        chunked.close()

        before = rss(server)
        assert put(server, second, 60 * MB, director) == 413  # refused before its body is read
        assert rss(server) - before < 30 * MB

        request = urllib.request.Request(
            f"{server.url}/_stcore/upload_file/{first}/{kept}",
            method="DELETE",
            headers={
                "X-Xsrftoken": director["_streamlit_xsrf"],
                "Cookie": cookie_header(director),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 204
        assert put(server, second, 2 * MB, director) == 204  # the deleted file's bytes are free again
    assert "over the budget" in server.log_tail(400)
