"""Sign-in and roles in the dashboard; the users file and password checks are metrics/users.py.

Off unless $KPI_USERS names a users file. Then dashboard.py calls gate() before anything else: nothing
is drawn and no page runs until someone signs in, with a password, or through the identity provider
configured in .streamlit/secrets.toml ([auth], st.login) when the provider's email is listed in the users
file. The signed-in user's scope goes into every metrics Filter (pages/_state.py current_filter), which is
where branch limits are enforced; this module only says who is signed in and what their role allows.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from metrics import users
from pages._i18n import LANGS, t

USER_KEY = "_auth_user"  # the signed-in user's name; not a widget key, so no browser message can set it


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
    """Return when sign-in is off or someone is signed in; otherwise draw the sign-in form and stop."""
    try:
        found = config()
    except users.ConfigError as exc:
        print(f"sign-in: {exc}", file=sys.stderr)  # the details are for the operator, not for the page
        st.error(t("users_config_error"))
        st.stop()
    if found is None or current() is not None:
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
        user = users.verify(found, name or "", password or "")
        if user is None:
            st.error(t("sign_in_failed"))  # the same words whichever of the two was wrong
        else:
            st.session_state[USER_KEY] = user.name
            st.rerun()
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
        st.session_state.clear()  # filters and page choices too: the next user starts from the link
        if through_provider:
            st.logout()
        st.rerun()


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
