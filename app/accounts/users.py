"""Administrators' accounts and passwords.

Passwords are hashed with argon2id (argon2-cffi); there is no default account: the only way in
is `lineage create-admin USERNAME`.
"""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from app.accounts.sessions import close_all_sessions
from app.models import User

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,79}$")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def user_by_name(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_credentials(username: str, password: str) -> str | None:
    """Why a new account's username or password is refused, or None."""
    if not USERNAME_RE.match(username or ""):
        return "a username is 1 to 80 letters, digits or _ . @ -, starting with a letter or digit"
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    return None


def create_admin(session: Session, username: str, password: str, *, reset: bool = False) -> bool:
    """Create an administrator, or with `reset` set a new password; returns whether it was created.

    Raises ValueError for a bad username or password, or an existing account without `reset`.
    """
    problem = check_new_credentials(username, password)
    if problem:
        raise ValueError(problem)
    user = user_by_name(session, username)
    if user is not None and not reset:
        raise ValueError(f"user {username!r} exists: use --reset-password to give it a new password")
    created = user is None
    if user is None:
        user = User(username=username, password_hash="")
        session.add(user)
    user.password_hash = hash_password(password)
    if not created:
        # A new password ends every session opened with the old one.
        close_all_sessions(session, user.id)
    session.commit()
    return created


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = user_by_name(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return user
