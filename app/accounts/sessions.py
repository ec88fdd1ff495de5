"""Administrators' sessions, kept on the server.

The browser holds a random token (inside the signed session cookie); the database holds its
SHA-256, the user and an expiry. Every request that needs an administrator looks the token up, so
logging out, a new password or the expiry ends a session at once, whatever copies of the cookie
exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete
from sqlmodel import Session, select

from app.models import AdminSession, User, utcnow

LIFETIME = dt.timedelta(hours=12)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(db: Session, user: User, *, now: dt.datetime | None = None) -> str:
    """Start a session for `user`; returns the token the cookie is to carry. Commits."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.add(AdminSession(id=_key(token), user_id=user.id, created_at=now, expires_at=now + LIFETIME))
    # Expired sessions are of no use to anyone: drop them as new ones start.
    db.exec(delete(AdminSession).where(AdminSession.expires_at < now))
    db.commit()
    return token


def session_user(db: Session, token: object, *, now: dt.datetime | None = None) -> User | None:
    """The administrator whose live session `token` is, or None (one query)."""
    if not isinstance(token, str) or not token:
        return None
    return db.exec(
        select(User).join(AdminSession, AdminSession.user_id == User.id)
        .where(AdminSession.id == _key(token), AdminSession.expires_at > (now or utcnow()))
    ).first()


def close_session(db: Session, token: object) -> None:
    """End the session `token` (logout). Commits."""
    if isinstance(token, str) and token:
        db.exec(delete(AdminSession).where(AdminSession.id == _key(token)))
        db.commit()


def close_all_sessions(db: Session, user_id: int) -> None:
    """End every session of a user (a new password); the caller commits."""
    db.exec(delete(AdminSession).where(AdminSession.user_id == user_id))
