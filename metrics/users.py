"""Who may see what: the users config file, its roles, and password checks (no Streamlit here).

Sign-in is off unless the environment variable KPI_USERS names a TOML file like this one:

    [users.director]
    role = "director"                 # everything, including imports on the Data page
    password = "$argon2id$v=19$..."   # from `python -m metrics hash-password`

    [users.wang]
    role = "supervisor"               # only these branches (each with its reading rooms)
    branches = ["north", "east"]      # branch ids, as in the branches table
    password = "$argon2id$v=19$..."
    email = "wang@example.org"        # optional: signs in through the identity provider (st.login)

    [users.auditor]
    role = "viewer"                   # every branch's figures, read-only: no imports, no rejected rows

User names are matched ignoring case. Passwords are stored only as Argon2id hashes made by argon2-cffi;
a user without `password` can only sign in through the identity provider (`email`). A file that is
missing or wrong raises ConfigError: the dashboard then refuses to start rather than open up.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

USERS_ENV_VAR = "KPI_USERS"
ROLES = ("director", "supervisor", "viewer")
MIN_PASSWORD_LENGTH = 8
_USER_KEYS = {"role", "branches", "password", "email", "name"}

# What each role may do beyond seeing figures. "network": figures about the whole network that are not
# broken down by branch (what is loaded); "import": uploads, import history and rejected rows (raw rows of
# any branch). A supervisor's figures are limited by their scope; see metrics.filters.Filter.scope.
CAPABILITIES = {
    "director": frozenset({"network", "import"}),
    "viewer": frozenset({"network"}),
    "supervisor": frozenset(),
}


class ConfigError(ValueError):
    """The users config file is missing or invalid."""


@dataclass(frozen=True)
class User:
    name: str  # the key in the config, as written there
    role: str
    branches: tuple[str, ...] = ()  # supervisors only: branch ids, each with its children
    password_hash: str | None = None
    email: str | None = None
    display_name: str | None = None

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The branch ids this user is limited to (with their children), or None for every branch."""
        return self.branches if self.role == "supervisor" else None

    def can(self, capability: str) -> bool:
        return capability in CAPABILITIES[self.role]

    @property
    def label(self) -> str:
        return self.display_name or self.name


@dataclass(frozen=True)
class Users:
    path: Path
    users: tuple[User, ...]

    def get(self, name: str | None) -> User | None:
        """The user of that name (ignoring case and surrounding spaces), or None."""
        if not name:
            return None
        wanted = name.strip().casefold()
        return next((u for u in self.users if u.name.casefold() == wanted), None)

    def by_email(self, email: str | None) -> User | None:
        """The user whose `email` is this address (ignoring case), or None."""
        if not email:
            return None
        wanted = email.strip().casefold()
        return next((u for u in self.users if u.email and u.email.casefold() == wanted), None)


def config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The users file: `explicit`, else $KPI_USERS; None when neither is set (sign-in off)."""
    chosen = explicit or os.environ.get(USERS_ENV_VAR)
    return Path(chosen) if chosen else None


def load(path: str | os.PathLike) -> Users:
    """Read and check a users file; ConfigError says what is wrong (never echoing a password hash)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"users file {path} not found (${USERS_ENV_VAR})") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"users file {path} cannot be read: {exc}") from None
    unknown = set(raw) - {"users"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; expected [users.NAME]")
    table = raw.get("users")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{path}: no [users.NAME] entries")
    users = tuple(_user(path, name, entry) for name, entry in table.items())
    seen: dict[str, str] = {}
    for user in users:
        for key in filter(None, (user.name.casefold(), user.email and "email:" + user.email.casefold())):
            if key in seen:
                raise ConfigError(f"{path}: {user.name} and {seen[key]} clash ({key}); names and emails must be unique")
            seen[key] = user.name
    return Users(path, users)


def _user(path: Path, name: str, entry) -> User:
    where = f"{path}: users.{name}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(entry) - _USER_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_USER_KEYS))}"
        )
    role = entry.get("role")
    if role not in ROLES:
        raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}")
    branches = entry.get("branches", [])
    if not isinstance(branches, list) or not all(isinstance(b, str) and b.strip() for b in branches):
        raise ConfigError(f"{where}: branches must be a list of branch ids")
    if role == "supervisor" and not branches:
        raise ConfigError(f"{where}: a supervisor needs branches = [...]")
    if role != "supervisor" and branches:
        raise ConfigError(f"{where}: only a supervisor has branches (a {role} sees every branch)")
    password = entry.get("password")
    if password is not None and not (isinstance(password, str) and password.startswith("$argon2")):
        raise ConfigError(f"{where}: password must be an Argon2 hash from `python -m metrics hash-password`")
    email = entry.get("email")
    if email is not None and not (isinstance(email, str) and "@" in email):
        raise ConfigError(f"{where}: email must be an address")
    if password is None and email is None:
        raise ConfigError(f"{where}: needs a password hash, an email (identity provider sign-in), or both")
    display = entry.get("name")
    return User(
        name=name,
        role=role,
        branches=tuple(dict.fromkeys(b.strip() for b in branches)),
        password_hash=password,
        email=email.strip() if email else None,
        display_name=display if isinstance(display, str) and display.strip() else None,
    )


_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory parameters


def hash_password(password: str) -> str:
    """An Argon2id hash with a random salt, for the `password` key of a users file."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("no such user: the same work as a real check")


def verify(users: Users, name: str, password: str) -> User | None:
    """The user if `name` and `password` match, else None. An unknown name, a user without a password
    and a wrong password take the same path and time, so a failure says nothing about which was wrong."""
    user = users.get(name)
    stored = user.password_hash if user else None
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user if stored else None
