"""Login throttling: what the failed logins of the last WINDOW say about a new attempt.

- The lock-out counts failures of one address at one username. From MAX_FAILURES on, that address
  gets 429 for that username until its oldest failure leaves the window; the owner, from
  anywhere else, still gets in.
- Failures for the username from every address, and from the address at every username, only
  slow the answers down: past FREE_FAILURES, `login_slowdown_seconds` more per failure, at most
  MAX_DELAY. So nobody can lock an owner out, and a password spray from one address crawls.
- The cap is exact whatever the concurrency: an attempt is recorded as a failure *before* its
  password is checked (`reserve`), in one statement that refuses it when the cap is reached, and
  the record is removed if the password was right (`settle`). Failures live in the database, so
  every worker counts the same ones.

Nothing here waits: the caller waits out `Reservation.delay` where waiting costs nothing (the
web form, on the event loop, holding neither a thread nor a database connection).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, literal, or_
from sqlmodel import Session, select

from app.accounts.users import authenticate
from app.config import get_settings
from app.models import LoginAttempt, User, utcnow

WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3
MAX_FAILURES = 10
MAX_DELAY = 5.0


@dataclass
class Reservation:
    attempt_id: int | None  # the failure recorded ahead of the check; None when refused
    delay: float  # seconds to wait before the password is checked
    retry_after: int | None  # set when the attempt is refused (429)


def _pair(username: str, address: str):
    return and_(LoginAttempt.username == username, LoginAttempt.address == address)


def _serialize(db: Session, username: str, address: str) -> None:
    """On PostgreSQL, concurrent reservations of one pair take turns (a transaction lock), so
    that each counts the others' failures. SQLite runs one writing statement at a time anyway."""
    if db.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{username}\0{address}".encode("utf-8", "replace")).digest()
        db.exec(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


def reserve(db: Session, username: str, address: str, *, now: dt.datetime | None = None) -> Reservation:
    """Record a login attempt as a failure before its password is checked, unless the address
    has reached the cap for this username. Commits; leaves no transaction open."""
    now = now or utcnow()
    username, address = username[:80], address[:64]
    since = now - WINDOW
    db.commit()  # a fresh transaction: the insert below must be its first statement
    _serialize(db, username, address)
    pair_failures = (
        select(func.count()).select_from(LoginAttempt)
        .where(_pair(username, address), LoginAttempt.at >= since).scalar_subquery()
    )
    row = db.exec(
        insert(LoginAttempt)
        .from_select(["username", "address", "at"],
                     select(literal(username), literal(address), literal(now, LoginAttempt.at.type))
                     .where(pair_failures < MAX_FAILURES))
        .returning(LoginAttempt.id)
    ).first()
    # Failures older than the window count for nothing: drop them as we go.
    db.exec(delete(LoginAttempt).where(LoginAttempt.at < since))
    db.commit()
    if row is None:
        oldest = db.exec(
            select(func.min(LoginAttempt.at)).where(_pair(username, address), LoginAttempt.at >= since)
        ).one()
        db.commit()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.timezone.utc)
        wait = (oldest + WINDOW - now).total_seconds() if oldest else WINDOW.total_seconds()
        return Reservation(None, 0.0, max(1, int(wait) + 1))
    by_user, by_address = db.exec(
        select(
            func.count().filter(LoginAttempt.username == username),
            func.count().filter(LoginAttempt.address == address),
        ).where(LoginAttempt.at >= since, or_(LoginAttempt.username == username, LoginAttempt.address == address))
    ).one()
    db.commit()
    earlier = max(by_user, by_address) - 1  # this attempt's own record is not a reason to wait
    extra = max(0, earlier - FREE_FAILURES + 1)
    return Reservation(row[0], min(MAX_DELAY, extra * get_settings().login_slowdown_seconds), None)


def settle(db: Session, reservation: Reservation, user: User | None, username: str, address: str) -> None:
    """After the check: a right password clears this address's failures at this username (its
    own reservation included); a wrong one leaves the reservation as the failure it was. Commits."""
    if user is not None:
        db.exec(delete(LoginAttempt).where(_pair(username[:80], address[:64])))
        db.commit()


@dataclass
class LoginResult:
    user: User | None
    status: int  # 303 on success, 401 wrong credentials, 429 too many failures
    retry_after: int | None = None


def check(db: Session, reservation: Reservation, username: str, password: str, address: str) -> LoginResult:
    """Check the password of a reserved attempt, and settle the reservation."""
    user = authenticate(db, username, password)
    settle(db, reservation, user, username, address)
    return LoginResult(user, 303 if user is not None else 401)


def login(db: Session, username: str, password: str, address: str) -> LoginResult:
    """Reserve and check at once, without waiting out the slowdown: for callers (tests, scripts)
    that are not the web form."""
    username = (username or "").strip()
    reservation = reserve(db, username, address)
    if reservation.retry_after is not None:
        return LoginResult(None, 429, reservation.retry_after)
    return check(db, reservation, username, password or "", address)
