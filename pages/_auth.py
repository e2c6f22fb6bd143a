"""Sign-in and roles in the dashboard; the users file and password checks are metrics/users.py.

Off unless $KPI_USERS names a users file. Then dashboard.py calls gate() before anything else: nothing
is drawn and no page runs until someone signs in, with a password, or through the identity provider
configured in .streamlit/secrets.toml ([auth], st.login) when the provider's email is listed in the users
file. The signed-in user's scope goes into every metrics Filter (pages/_state.py current_filter), which is
where branch limits are enforced; this module only says who is signed in and what their role allows.

A password sign-in is bound to the browser by a signed, HTTP-only cookie (metrics/sessions.py): the form
issues a one-time ticket and sends the browser to serve.py's /_kpi/session route, which sets the cookie and
sends it back to the page it asked for. Every run reads the cookie sent with this session's websocket
(st.context.cookies); a run without a valid one is signed out before anything is drawn, so a session id
replayed from another connection gets the sign-in form only.
"""

from __future__ import annotations

import math
import os
import sys
import time
import urllib.parse
from collections.abc import Mapping

import streamlit as st
from streamlit import runtime
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics import sessions, users
from pages._i18n import LANGS, t

USER_KEY = "_auth_user"  # the signed-in user's name; not a widget key, so no browser message can set it
PROVIDER_COOKIE = "_streamlit_user"  # Streamlit's own signed, HTTP-only cookie of an st.login sign-in
CLIENT_IP_HEADER_ENV_VAR = "KPI_CLIENT_IP_HEADER"  # e.g. X-Real-IP, set by the reverse proxy in front


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, stamp: tuple | None) -> users.Users:
    """The users file, read again whenever it changes (stamp: its modification time and size)."""
    return users.load(path)


def enabled() -> bool:
    """Whether sign-in is on ($KPI_USERS is set)."""
    return users.config_path() is not None


def config() -> users.Users | None:
    """The users file, or None when sign-in is off; ConfigError when it is missing or wrong."""
    path = users.config_path()
    if path is None:
        return None
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    return _load(str(path), stamp)


def current() -> users.User | None:
    """The signed-in user (looked up in the users file on every run, so a removed user is signed out),
    or None: sign-in off, or nobody signed in."""
    found = config()
    if found is None:
        return None
    user = found.get(st.session_state.get(USER_KEY))
    if user is None and _provider_configured():
        user = _provider_user(found)
    return user


def scope() -> tuple[str, ...] | None:
    """The branch ids the viewer of this session may see: None for every branch (sign-in off, a director
    or a viewer); () for nothing (sign-in on and nobody signed in)."""
    if not enabled():
        return None
    user = current()
    return user.scope if user else ()


def allows(capability: str) -> bool:
    """Whether this session may do `capability` ("import", "network"; see metrics/users.py). Everything
    is allowed with sign-in off."""
    if not enabled():
        return True
    user = current()
    return bool(user and user.can(capability))


def gate() -> None:
    """Return when sign-in is off or this run is signed in (a valid sign-in cookie came with this session's
    websocket, or the identity provider's); otherwise sign the session out, draw the sign-in form and stop."""
    try:
        found = config()
    except users.ConfigError as exc:
        print(f"sign-in: {exc}", file=sys.stderr)  # the details are for the operator, not for the page
        st.error(t("users_config_error"))
        st.stop()
    if found is None:
        return
    if not sessions.ROUTES_INSTALLED:
        print("sign-in: start the dashboard with `streamlit run serve.py` (the sign-in cookie route)", file=sys.stderr)
        st.error(t("sign_in_needs_server"))
        st.stop()
    if _check_session(found) is not None:
        return
    _language()
    st.title(t("sign_in_title"))
    if _provider_configured() and st.user.get("is_logged_in"):
        # Signed in with the provider, but the email is not in the users file (or not verified).
        st.error(t("no_access", email=st.user.get("email") or "?"))
        if st.button(t("sign_out"), key="provider_sign_out"):
            st.logout()
        st.stop()
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(t("user_name"), key="sign_in_name", autocomplete="username")
        password = st.text_input(
            t("password"), type="password", key="sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("sign_in"), key="sign_in_submit", icon=":material/login:")
    if submitted:
        _sign_in(found, name or "", password or "")
    if _provider_configured():
        if st.button(t("sign_in_provider"), key="sign_in_provider", icon=":material/badge:"):
            st.login(_provider_name())
    st.stop()


def sidebar() -> None:
    """Who is signed in, and the sign-out button (nothing when sign-in is off)."""
    user = current()
    if user is None:
        return
    st.sidebar.caption(t("signed_in_as", name=user.label, role=t(f"role_{user.role}")))
    if st.sidebar.button(t("sign_out"), key="sign_out", icon=":material/logout:"):
        through_provider = st.session_state.get(USER_KEY) is None
        signed = _cookie_user(config())
        if signed is not None:
            sessions.revoke(signed[1])  # this cookie is dead in every tab, and after a restart
        _end_session()  # filters and page choices too: the next user starts from the link
        if through_provider:
            st.logout()
        else:
            _redirect(_route(sessions.SIGN_OUT_ROUTE, next=_here()))  # the browser drops the cookie
        st.rerun()


# ---------------------------------------------------------------- the cookie, checked on every run


def _check_session(found: users.Users) -> users.User | None:
    """Who this run is signed in as, from the cookie sent with this session's websocket (or the identity
    provider's); a session that was signed in without such a cookie now is signed out here."""
    signed = _cookie_user(found)
    session_id = _session_id()
    if signed is None:
        if st.session_state.get(USER_KEY) is not None:
            _end_session()  # e.g. a session id replayed over another connection: it gets the form
        user = _provider_user(found) if _provider_configured() else None
        value = _cookies().get(PROVIDER_COOKIE)
        if user is not None and value and session_id:
            sessions.BINDINGS.bind(
                session_id,
                sessions.Binding(
                    user.name,
                    user.can("import"),
                    PROVIDER_COOKIE,
                    sessions.digest(value),
                    time.time() + sessions.session_seconds(),
                ),
            )
        elif session_id:
            sessions.BINDINGS.unbind(session_id)
        return user
    user, cookie, value = signed
    if st.session_state.get(USER_KEY) not in (None, user.name):
        _end_session()  # another user's cookie in this browser now: nothing of the last one is kept
    st.session_state[USER_KEY] = user.name
    if session_id:
        sessions.BINDINGS.bind(
            session_id,
            sessions.Binding(
                user.name, user.can("import"), sessions.COOKIE_NAME, sessions.digest(value), cookie.expires
            ),
        )
    return user


def _cookie_user(found: users.Users | None) -> tuple[users.User, sessions.Cookie, str] | None:
    """The user of this session's valid sign-in cookie (still in the users file), the cookie, its value."""
    if found is None:
        return None
    value = _cookies().get(sessions.COOKIE_NAME)
    cookie = sessions.read_cookie(value)
    user = found.get(cookie.user) if cookie else None
    return (user, cookie, value) if user else None


def _sign_in(found: users.Users, name: str, password: str) -> None:
    """Check a password (unless this name or address is locked out); on success send the browser to the
    cookie route with a one-time ticket and the page it asked for."""
    address = _address()
    keys = sessions.limiter_keys(name, address)
    wait = sessions.LIMITER.wait(keys)
    if wait > 0:
        sessions.log_refused(name, address, wait)
        st.error(t("sign_in_wait", seconds=math.ceil(wait)))
        return
    user = users.verify(found, name, password)
    if user is None:
        lockout = sessions.LIMITER.failed(keys)
        sessions.log_failure(name, address, lockout)
        st.error(t("sign_in_failed"))  # the same words whichever of the two was wrong
        if lockout:
            st.error(t("sign_in_wait", seconds=math.ceil(lockout)))
        return
    sessions.LIMITER.succeeded(keys[0])
    sessions.log_success(user.name, address)
    ticket = sessions.TICKETS.issue(user.name, _here())
    _redirect(_route(sessions.SESSION_ROUTE, ticket=ticket))
    st.info(t("signing_in"))
    st.stop()


def _end_session() -> None:
    """Forget everything of this session: its state, its binding for uploads, its uploaded files."""
    st.session_state.clear()
    session_id = _session_id()
    if session_id:
        sessions.BINDINGS.unbind(session_id)
        if runtime.exists():
            runtime.get_instance().uploaded_file_mgr.remove_session_files(session_id)


def _here() -> str:
    """The page and query string this browser asked for (where it returns after signing in or out)."""
    path = urllib.parse.urlsplit(st.context.url or "").path or "/"
    query = urllib.parse.urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return sessions.safe_next(path + (f"?{query}" if query else ""))


def _route(route: str, **params: str) -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}{route}?{urllib.parse.urlencode(params)}"


# The three things below come from Streamlit's session machinery; tests replace them (AppTest has no
# browser, so no cookies, no address and no page loads).


def _cookies() -> Mapping[str, str]:
    """Cookies sent with this session's websocket handshake."""
    return st.context.cookies


def _redirect(url: str) -> None:
    """Send the browser to `url` as a full page load: the message st.login itself uses (auth_redirect)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        message = ForwardMsg()
        message.auth_redirect.url = url
        ctx.enqueue(message)


def _session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _address() -> str | None:
    """The client's address: the reverse proxy's header when $KPI_CLIENT_IP_HEADER names one, else the
    connection's (None on the loopback)."""
    header = os.environ.get(CLIENT_IP_HEADER_ENV_VAR)
    if header:
        value = st.context.headers.get(header)
        if isinstance(value, str) and value.strip():
            return value.split(",")[0].strip()[:64]
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _language() -> None:
    """The language switch of the sign-in page, kept in the link so the dashboard opens in it."""
    if st.session_state.get("lang") not in LANGS:
        wanted = st.query_params.get("lang")
        st.session_state["lang"] = wanted if wanted in LANGS else "en"

    def to_link() -> None:
        if st.session_state["lang"] == "en":
            st.query_params.pop("lang", None)
        else:
            st.query_params["lang"] = st.session_state["lang"]

    st.segmented_control(
        t("language"), list(LANGS), format_func=LANGS.get, key="lang", required=True, on_change=to_link
    )


def _provider_configured() -> bool:
    """Whether an identity provider is configured ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:
        return False


def _provider_name() -> str | None:
    """None for a single provider set directly in [auth]; else the first [auth.NAME] table."""
    section = st.secrets["auth"]
    if "client_id" in section:
        return None
    return next((name for name, value in section.items() if isinstance(value, Mapping)), None)


def _provider_user(found: users.Users) -> users.User | None:
    """The users-file entry of the provider's signed-in, verified email, or None."""
    info = st.user
    if not info.get("is_logged_in") or info.get("email_verified") is False:
        return None
    return found.by_email(info.get("email"))
