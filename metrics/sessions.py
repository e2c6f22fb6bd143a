"""Sign-in sessions bound to the browser (no Streamlit here): the signed cookie, one-time sign-in tickets,
sign-out revocation, the failed-sign-in limiter, the session-to-user bindings the upload guard reads, and
the upload byte budget.

How a password sign-in becomes a cookie (pages/_auth.py and serve.py do the Streamlit and HTTP parts):
1. the script run checks the password and issues a one-time ticket (random, in memory, 60 s, single use)
   naming the user and the page and query string the browser asked for;
2. it sends the browser to /_kpi/session?ticket=...; that route (serve.py) redeems the ticket, sets the
   HTTP-only, SameSite=Strict cookie made here and redirects back to the page asked for;
3. every script run verifies the cookie it got with the websocket handshake (`st.context.cookies`); a run
   without a valid one for the signed-in user signs the session out before anything is drawn.

The cookie is `v1.<user, base64url>.<expiry, unix seconds>.<nonce, hex>.<HMAC-SHA256, base64url>`: no
password, nothing secret. The key is $KPI_SECRET, else a random key kept in the state folder
($KPI_STATE_DIR, else $XDG_CONFIG_HOME/kpi-dashboard or ~/.config/kpi-dashboard; 0700, file 0600). Sign-out
revokes the cookie's nonce in revoked.json there, so a copied cookie stays dead after a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger("kpi.signin")

COOKIE_NAME = "kpi_session"
SECRET_ENV_VAR = "KPI_SECRET"
STATE_DIR_ENV_VAR = "KPI_STATE_DIR"
HOURS_ENV_VAR = "KPI_SESSION_HOURS"
DEFAULT_HOURS = 12.0
TICKET_SECONDS = 60.0
SESSION_ROUTE = "/_kpi/session"  # redeems a ticket, sets the cookie
SIGN_OUT_ROUTE = "/_kpi/signout"  # deletes the cookie (its nonce is revoked already)
MIN_SECRET_LENGTH = 32
_VERSION = "v1"


# ---------------------------------------------------------------- the secret and the state folder


def state_dir() -> Path:
    """Where the generated key and the revocation list live (outside the repository)."""
    chosen = os.environ.get(STATE_DIR_ENV_VAR)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kpi-dashboard"


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by the owner only."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_secret_lock = threading.Lock()
_secret_cache: dict[tuple, bytes] = {}


def secret() -> bytes:
    """The signing key: $KPI_SECRET (at least 32 characters), else the state folder's `secret` file,
    created with 32 random bytes on first use."""
    from_env = os.environ.get(SECRET_ENV_VAR)
    if from_env:
        if len(from_env) < MIN_SECRET_LENGTH:
            raise ValueError(f"${SECRET_ENV_VAR} needs at least {MIN_SECRET_LENGTH} characters")
        return from_env.encode()
    folder = state_dir()
    key = ("file", str(folder))
    with _secret_lock:
        if key in _secret_cache:
            return _secret_cache[key]
        path = _private_dir(folder) / "secret"
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(secrets.token_hex(32))
        value = path.read_text(encoding="ascii").strip()
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"{path} holds no usable key; delete it to make a new one")
        _secret_cache[key] = value.encode()
        return _secret_cache[key]


def session_seconds() -> float:
    """How long a sign-in is kept ($KPI_SESSION_HOURS, default 12 hours)."""
    try:
        hours = float(os.environ.get(HOURS_ENV_VAR, DEFAULT_HOURS))
    except ValueError:
        hours = DEFAULT_HOURS
    return max(60.0, hours * 3600.0)


# ---------------------------------------------------------------- the cookie


@dataclass(frozen=True)
class Cookie:
    user: str
    expires: int  # unix seconds
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(user_b64: str, expires: int, nonce: str, key: bytes) -> str:
    message = f"{_VERSION}|{user_b64}|{expires}|{nonce}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def make_cookie(user: str, now: float | None = None, seconds: float | None = None) -> tuple[str, Cookie]:
    """A new cookie value for `user` with a fresh nonce, and what it says."""
    now = time.time() if now is None else now
    expires = int(now + (session_seconds() if seconds is None else seconds))
    nonce = secrets.token_hex(16)
    user_b64 = _b64(user.encode("utf-8"))
    value = f"{_VERSION}.{user_b64}.{expires}.{nonce}.{_mac(user_b64, expires, nonce, secret())}"
    return value, Cookie(user, expires, nonce)


_COOKIE_RE = re.compile(r"^v1\.([A-Za-z0-9_-]{1,400})\.(\d{1,12})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


def read_cookie(value: str | None, now: float | None = None) -> Cookie | None:
    """What a cookie value says, if it is well formed, signed with our key, unexpired and not revoked."""
    if not value or len(value) > 600:
        return None
    match = _COOKIE_RE.match(value)
    if not match:
        return None
    user_b64, expires_text, nonce, mac = match.groups()
    expires = int(expires_text)
    try:
        key = secret()
    except (OSError, ValueError):
        LOG.exception("sign-in key unavailable")
        return None
    if not hmac.compare_digest(mac, _mac(user_b64, expires, nonce, key)):
        return None
    now = time.time() if now is None else now
    if expires <= now or REVOKED.revoked(nonce):
        return None
    try:
        user = _unb64(user_b64).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return Cookie(user, expires, nonce)


def digest(value: str) -> str:
    """A short fingerprint of a credential cookie (what the session bindings store instead of the value)."""
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


# ---------------------------------------------------------------- revocation (survives a restart)


class Revocations:
    """Nonces of signed-out cookies, each kept until its cookie would have expired anyway; saved to
    revoked.json in the state folder on every change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_from: tuple | None = None  # (path, modification time): read again when either changes
        self._nonces: dict[str, int] = {}

    def _path(self) -> Path:
        return state_dir() / "revoked.json"

    def _load(self) -> None:
        path = self._path()
        try:
            stamp = (path, path.stat().st_mtime_ns)
        except OSError:
            stamp = (path, None)
        if self._loaded_from == stamp:
            return
        self._nonces = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._nonces = {str(k): int(v) for k, v in raw.items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError):
            LOG.exception("revocation list %s unreadable; starting empty", path)
        self._loaded_from = stamp

    def revoke(self, nonce: str, expires: int, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._load()
            self._nonces = {n: e for n, e in self._nonces.items() if e > now}
            self._nonces[nonce] = int(expires)
            path = self._path()
            _private_dir(path.parent)
            _write_private(path, json.dumps(self._nonces))
            self._loaded_from = None

    def revoked(self, nonce: str) -> bool:
        with self._lock:
            self._load()
            return nonce in self._nonces

    def forget_loaded(self) -> None:
        """Read the file again on next use (tests switch state folders)."""
        with self._lock:
            self._loaded_from = None


REVOKED = Revocations()


def revoke(cookie: Cookie) -> None:
    REVOKED.revoke(cookie.nonce, cookie.expires)
    LOG.info("signed out: %s (session cookie revoked)", _safe(cookie.user))


# ---------------------------------------------------------------- one-time tickets


@dataclass(frozen=True)
class Ticket:
    user: str
    next_url: str
    expires: float


class Tickets:
    """One-time tickets from a script run (password checked) to the cookie route; in memory, single use."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    def issue(self, user: str, next_url: str) -> str:
        now = self._clock()
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
            if len(self._tickets) >= self._limit:  # bounded: drop the oldest
                self._tickets.pop(next(iter(self._tickets)))
            self._tickets[token] = Ticket(user, safe_next(next_url), now + TICKET_SECONDS)
        return token

    def redeem(self, token: str | None) -> Ticket | None:
        if not token:
            return None
        with self._lock:
            ticket = self._tickets.pop(token, None)
        if ticket is None or ticket.expires <= self._clock():
            return None
        return ticket


TICKETS = Tickets()

_NEXT_RE = re.compile(r"^/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")


def safe_next(url: str | None) -> str:
    """`url` when it is a path on this server (no scheme, no host, no //), else "/"."""
    if not url or len(url) > 2000 or not _NEXT_RE.match(url) or "\\" in url:
        return "/"
    return url


# ---------------------------------------------------------------- failed sign-ins


@dataclass
class _Record:
    failures: deque = field(default_factory=deque)
    strikes: int = 0
    until: float = 0.0
    last: float = 0.0


class Limiter:
    """Failed sign-ins per key (a user name, a client address): `limit` failures within `window` seconds
    lock the key for `base` seconds, doubling with every further lock-out (up to `cap`) until the key has
    had no failure for `forget` seconds. The clock is injectable so tests need not sleep."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        limit: int = 5,
        window: float = 60.0,
        base: float = 60.0,
        cap: float = 3600.0,
        forget: float = 3600.0,
        max_keys: int = 100_000,
    ) -> None:
        self.clock = clock
        self.limit, self.window, self.base, self.cap, self.forget = limit, window, base, cap, forget
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until any attempt for these keys is allowed again (0: allowed now)."""
        now = self.clock()
        with self._lock:
            waits = [r.until - now for k in keys if (r := self._records.get(k)) is not None]
        return max([0.0, *waits])

    def failed(self, keys: Iterable[str]) -> float:
        """Record a failure for each key; the lock-out it causes (0 when none)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            self._prune(now)
            for key in keys:
                record = self._records.setdefault(key, _Record())
                if now - record.last > self.forget:
                    record.strikes = 0
                record.last = now
                record.failures.append(now)
                while record.failures and record.failures[0] <= now - self.window:
                    record.failures.popleft()
                if len(record.failures) >= self.limit:
                    record.strikes += 1
                    record.until = now + min(self.cap, self.base * 2 ** (record.strikes - 1))
                    record.failures.clear()
                longest = max(longest, record.until - now)
        return longest

    def succeeded(self, key: str) -> None:
        """A correct password for this user name: its record goes (an address keeps its own)."""
        with self._lock:
            self._records.pop(key, None)

    def _prune(self, now: float) -> None:
        if len(self._records) < self._max_keys:
            return
        for key in [k for k, r in self._records.items() if r.until <= now and now - r.last > self.window]:
            del self._records[key]
        while len(self._records) >= self._max_keys:
            self._records.pop(next(iter(self._records)))


LIMITER = Limiter()
ROUTES_INSTALLED = False  # set by serve.py: the cookie routes and the upload guard are in this server


def limiter_keys(user_name: str, address: str | None) -> list[str]:
    return [f"user:{user_name.strip().casefold()[:200]}", f"addr:{address or 'local'}"]


def _safe(text: str | None, limit: int = 80) -> str:
    """A user-supplied name for the log: printable, length-capped, quoted."""
    text = (text or "")[:limit]
    return repr("".join(c if c.isprintable() else "?" for c in text))


def log_failure(user_name: str, address: str | None, lockout: float) -> None:
    LOG.warning(
        "sign-in failed for user %s from %s%s",
        _safe(user_name),
        address or "local",
        f"; locked for {lockout:.0f} s" if lockout else "",
    )


def log_refused(user_name: str, address: str | None, wait: float) -> None:
    LOG.warning(
        "sign-in refused for user %s from %s: too many failures, %.0f s to wait",
        _safe(user_name),
        address or "local",
        wait,
    )


def log_success(user_name: str, address: str | None) -> None:
    LOG.info("signed in: %s from %s", _safe(user_name), address or "local")


# ---------------------------------------------------------------- sessions bound to users (upload guard)


@dataclass(frozen=True)
class Binding:
    user: str
    may_import: bool
    cookie_name: str  # the credential cookie this session's runs carried
    cookie_digest: str
    expires: float  # unix seconds


class Bindings:
    """Streamlit session id -> who its last script run was signed in as, with which cookie. Written by
    every script run (pages/_auth.py), read by the upload guard (serve.py)."""

    def __init__(self, limit: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._by_session: dict[str, Binding] = {}
        self._limit = limit

    def bind(self, session_id: str, binding: Binding) -> None:
        with self._lock:
            self._by_session.pop(session_id, None)
            if len(self._by_session) >= self._limit:
                now = time.time()
                self._by_session = {k: b for k, b in self._by_session.items() if b.expires > now}
                while len(self._by_session) >= self._limit:
                    self._by_session.pop(next(iter(self._by_session)))
            self._by_session[session_id] = binding

    def unbind(self, session_id: str) -> None:
        with self._lock:
            self._by_session.pop(session_id, None)

    def get(self, session_id: str) -> Binding | None:
        with self._lock:
            binding = self._by_session.get(session_id)
        if binding is None or binding.expires <= time.time():
            return None
        return binding


BINDINGS = Bindings()


# ---------------------------------------------------------------- upload budget

SESSION_BUDGET_ENV_VAR = "KPI_UPLOAD_SESSION_MB"
SERVER_BUDGET_ENV_VAR = "KPI_UPLOAD_SERVER_MB"
DEFAULT_SESSION_MB = 400
DEFAULT_SERVER_MB = 1024


def _megabytes(name: str, default: int) -> int:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        value = default
    return max(0, int(value * 1024 * 1024))


def budgets() -> tuple[int, int]:
    """Bytes of uploads held at most per session and per server ($KPI_UPLOAD_SESSION_MB, default 400;
    $KPI_UPLOAD_SERVER_MB, default 1024)."""
    return _megabytes(SESSION_BUDGET_ENV_VAR, DEFAULT_SESSION_MB), _megabytes(SERVER_BUDGET_ENV_VAR, DEFAULT_SERVER_MB)


class UploadBudget:
    """Bytes of uploads in flight, per session and in all; with the bytes already held (the caller reads them
    from Streamlit's uploaded-file manager) a new upload is admitted only within both budgets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._total = 0

    def reserve(
        self, session_id: str, size: int, held_session: int, held_total: int, per_session: int, per_server: int
    ) -> bool:
        with self._lock:
            mine = self._in_flight.get(session_id, 0)
            if held_session + mine + size > per_session or held_total + self._total + size > per_server:
                return False
            self._in_flight[session_id] = mine + size
            self._total += size
            return True

    def release(self, session_id: str, size: int) -> None:
        with self._lock:
            left = self._in_flight.get(session_id, 0) - size
            if left > 0:
                self._in_flight[session_id] = left
            else:
                self._in_flight.pop(session_id, None)
            self._total -= size


UPLOADS = UploadBudget()
