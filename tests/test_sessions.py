"""The sign-in cookie, tickets, revocation, the failed-sign-in limiter and the upload budget (metrics/sessions.py),
without a server. The limiter runs on an injected clock, so nothing here sleeps."""

from __future__ import annotations

import json
import logging
import stat
import time

import pytest

from metrics import sessions


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    """A private state folder per test, no $KPI_SECRET, and the revocation list read from it."""
    monkeypatch.setenv(sessions.STATE_DIR_ENV_VAR, str(tmp_path / "state"))
    monkeypatch.delenv(sessions.SECRET_ENV_VAR, raising=False)
    sessions.REVOKED.forget_loaded()
    yield tmp_path / "state"
    sessions.REVOKED.forget_loaded()


# ---------------------------------------------------------------- cookie


def test_cookie_round_trip_and_no_password_inside(state):
    value, cookie = sessions.make_cookie("dana", seconds=3600)
    assert sessions.read_cookie(value) == cookie
    assert cookie.user == "dana" and len(cookie.nonce) == 32
    assert "pass" not in value and value.count(".") == 4
    other, again = sessions.make_cookie("dana", seconds=3600)
    assert again.nonce != cookie.nonce and other != value  # a fresh nonce per sign-in


def test_generated_key_is_private_and_kept(state):
    sessions.make_cookie("dana")
    key = state / "secret"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(state.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) == 64


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_a_changed_cookie_is_refused(state, part):
    value, _ = sessions.make_cookie("dana", seconds=3600)
    pieces = value.split(".")
    if part == 1:
        pieces[1] = sessions._b64(b"admin")
    elif part == 2:
        pieces[2] = str(int(pieces[2]) + 10_000)
    elif part == 3:
        pieces[3] = "0" * 32
    else:
        pieces[4] = pieces[4][:-2] + ("AA" if pieces[4][-2:] != "AA" else "BB")
    assert sessions.read_cookie(".".join(pieces)) is None


def test_other_key_expiry_and_junk_are_refused(state, monkeypatch):
    value, cookie = sessions.make_cookie("dana", seconds=60)
    assert sessions.read_cookie(value, now=cookie.expires) is None
    monkeypatch.setenv(sessions.SECRET_ENV_VAR, "x" * 40)
    assert sessions.read_cookie(value) is None
    for junk in (None, "", "v1", "v1.a.b.c.d", "x" * 5000, value.replace("v1", "v2", 1)):
        assert sessions.read_cookie(junk) is None
    monkeypatch.setenv(sessions.SECRET_ENV_VAR, "short")
    with pytest.raises(ValueError):
        sessions.make_cookie("dana")


def test_sign_out_revokes_the_nonce_and_survives_a_restart(state):
    value, cookie = sessions.make_cookie("dana", seconds=3600)
    kept, _ = sessions.make_cookie("dana", seconds=3600)
    sessions.revoke(cookie)
    assert sessions.read_cookie(value) is None and sessions.read_cookie(kept) is not None
    saved = state / "revoked.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {cookie.nonce: cookie.expires}
    sessions.REVOKED.forget_loaded()  # as a new process would
    restarted = sessions.Revocations()
    assert restarted.revoked(cookie.nonce)
    assert sessions.read_cookie(value) is None
    other_process = sessions.Revocations()  # another server process sharing the state folder signs one out
    other_process.revoke(sessions.read_cookie(kept).nonce, int(time.time()) + 3600)
    assert sessions.read_cookie(kept) is None


# ---------------------------------------------------------------- tickets and redirects


def test_tickets_are_single_use_and_short_lived():
    clock = Clock()
    tickets = sessions.Tickets(clock=clock)
    token = tickets.issue("dana", "/branches?period=last_year")
    found = tickets.redeem(token)
    assert (found.user, found.next_url) == ("dana", "/branches?period=last_year")
    assert tickets.redeem(token) is None
    late = tickets.issue("dana", "/")
    clock.now += sessions.TICKET_SECONDS + 1
    assert tickets.redeem(late) is None
    assert tickets.redeem(None) is None and tickets.redeem("guess") is None


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("/branches?period=last_year&branches=north,east", True),
        ("/", True),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("/x\r\nSet-Cookie: a=b", False),
        ("", False),
    ],
)
def test_only_local_paths_are_redirect_targets(url, kept):
    assert sessions.safe_next(url) == (url if kept else "/")


# ---------------------------------------------------------------- failed sign-ins


def test_sixth_failure_in_a_minute_is_refused_then_the_delay_grows():
    clock = Clock()
    limiter = sessions.Limiter(clock=clock)
    keys = sessions.limiter_keys("Dana", "203.0.113.9")
    for _ in range(4):
        assert limiter.wait(keys) == 0
        assert limiter.failed(keys) == 0
        clock.now += 5
    assert limiter.wait(keys) == 0
    assert limiter.failed(keys) == 60  # the fifth failure in a minute locks for a minute
    clock.now += 1
    assert limiter.wait(keys) == 59  # the sixth attempt is refused without a password check
    assert limiter.wait(sessions.limiter_keys("DANA ", None)) == 59  # the same user name, any address
    assert limiter.wait(sessions.limiter_keys("ann", "203.0.113.9")) == 59  # the same address, any name
    assert limiter.wait(sessions.limiter_keys("ann", "198.51.100.1")) == 0
    clock.now += 59
    assert limiter.wait(keys) == 0
    for _ in range(4):
        limiter.failed(keys)
    assert limiter.failed(keys) == 120  # the next lock-out doubles
    clock.now += 120
    for _ in range(5):
        limiter.failed(keys)
    assert limiter.wait(keys) == 240
    clock.now += 240 + 3601  # an hour without failures: back to the first step
    for _ in range(5):
        limiter.failed(keys)
    assert limiter.wait(keys) == 60


def test_slow_failures_never_lock_and_success_clears_the_name():
    clock = Clock()
    limiter = sessions.Limiter(clock=clock)
    keys = sessions.limiter_keys("dana", None)
    for _ in range(20):
        assert limiter.failed(keys) == 0
        clock.now += 15  # four a minute
    clock.now += 61
    for _ in range(4):
        limiter.failed(keys)
    limiter.succeeded(keys[0])
    assert limiter.failed(["user:dana"]) == 0  # the name starts again...
    assert limiter.failed(sessions.limiter_keys("someone", None)) == 60  # ...its address kept four failures


def test_failures_are_logged_without_the_password(caplog):
    with caplog.at_level(logging.INFO, logger="kpi.signin"):
        sessions.log_failure("dana\nforged line", "203.0.113.9", 60)
        sessions.log_refused("dana", None, 42)
        sessions.log_success("dana", None)
    text = caplog.text
    assert "sign-in failed for user 'dana?forged line' from 203.0.113.9; locked for 60 s" in text
    assert "too many failures, 42 s to wait" in text and "signed in: 'dana' from local" in text


# ---------------------------------------------------------------- upload budget


def test_upload_budget_counts_held_and_in_flight_bytes():
    budget = sessions.UploadBudget()
    assert budget.reserve("a", 60, held_session=0, held_total=0, per_session=100, per_server=150)
    assert not budget.reserve("a", 50, held_session=0, held_total=0, per_session=100, per_server=150)  # in flight
    assert budget.reserve("b", 80, held_session=0, held_total=0, per_session=100, per_server=150)
    assert not budget.reserve("c", 20, held_session=0, held_total=0, per_session=100, per_server=150)  # server
    budget.release("a", 60)
    assert not budget.reserve("a", 50, held_session=60, held_total=60, per_session=100, per_server=300)  # held
    assert budget.reserve("a", 40, held_session=60, held_total=60, per_session=100, per_server=300)
