"""Login throttling: failures counted per username and per address.

Failed logins are stored in the database, so that every worker counts the same ones.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from app.accounts.users import authenticate
from app.config import get_settings
from app.models import LoginAttempt, User, utcnow

# Failures are counted per username and per address over WINDOW. The first FREE_FAILURES are
# answered at once, each further one waits `login_slowdown_seconds` more (up to MAX_DELAY), and
# from MAX_FAILURES on the answer is 429 until the oldest failure leaves the window.
WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3
MAX_FAILURES = 10
MAX_DELAY = 5.0


def failed_logins(
    session: Session, *, username: str, address: str, since: dt.datetime
) -> tuple[int, int, dt.datetime | None]:
    """Failed logins since `since`: for the username, for the address, and the oldest of them."""
    recent = LoginAttempt.at >= since
    by_user = session.exec(
        select(func.count()).select_from(LoginAttempt).where(recent, LoginAttempt.username == username)
    ).one()
    by_address = session.exec(
        select(func.count()).select_from(LoginAttempt).where(recent, LoginAttempt.address == address)
    ).one()
    oldest = session.exec(
        select(func.min(LoginAttempt.at)).where(
            recent, or_(LoginAttempt.username == username, LoginAttempt.address == address)
        )
    ).one()
    return by_user, by_address, oldest


@dataclass
class Throttle:
    failures: int  # the larger count: for the username or for the address
    delay: float  # seconds to wait before answering
    retry_after: int | None  # set when the attempt is refused with 429


def throttle(session: Session, username: str, address: str, *, now: dt.datetime | None = None) -> Throttle:
    """How a login attempt for `username` from `address` is to be answered, by recent failures."""
    now = now or utcnow()
    by_user, by_address, oldest = failed_logins(
        session, username=username, address=address, since=now - WINDOW
    )
    failures = max(by_user, by_address)
    if failures >= MAX_FAILURES:
        wait = (oldest + WINDOW - now).total_seconds() if oldest else WINDOW.total_seconds()
        return Throttle(failures, 0.0, max(1, int(wait) + 1))
    extra = max(0, failures - FREE_FAILURES + 1)
    delay = min(MAX_DELAY, extra * get_settings().login_slowdown_seconds)
    return Throttle(failures, delay, None)


def login_delay(session: Session, username: str, address: str) -> float:
    """Seconds to wait before checking a login for `username` from `address`."""
    return throttle(session, (username or "").strip(), address).delay


def record_failure(session: Session, username: str, address: str) -> None:
    now = utcnow()
    session.add(LoginAttempt(username=username[:80], address=address[:64], at=now))
    # Failures older than the window count for nothing: drop them as we go.
    session.exec(delete(LoginAttempt).where(LoginAttempt.at < now - WINDOW))
    session.commit()


def clear_failures(session: Session, username: str, address: str) -> None:
    session.exec(
        delete(LoginAttempt).where(
            (LoginAttempt.username == username) | (LoginAttempt.address == address)
        )
    )
    session.commit()


@dataclass
class LoginResult:
    user: User | None
    status: int  # 303 on success, 401 wrong credentials, 429 too many failures
    retry_after: int | None = None


def login(
    session: Session, username: str, password: str, address: str, *, waited: bool = False
) -> LoginResult:
    """Check a login attempt, slowed down or refused after repeated failures.

    `waited`: the caller has already waited `login_delay` (the web form waits without holding one
    of the few threads every page needs)."""
    username = (username or "").strip()
    state = throttle(session, username, address)
    if state.retry_after is not None:
        return LoginResult(None, 429, state.retry_after)
    if state.delay and not waited:
        time.sleep(state.delay)
    user = authenticate(session, username, password or "")
    if user is None:
        record_failure(session, username, address)
        return LoginResult(None, 401)
    clear_failures(session, username, address)
    return LoginResult(user, 303)
