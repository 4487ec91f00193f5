"""Passwords and session tokens.

Passwords are hashed with Argon2id (``argon2-cffi``, the algorithm OWASP recommends first) and
never stored or logged in clear. A session token is 32 random bytes given to the client; the
store keeps only its SHA-256, so a copy of the database does not hold live sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.store.interface import StoreError

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,79}")
_hasher = PasswordHasher()


def check_username(username: str) -> str:
    """Return ``username`` when it is 2-80 letters, digits, ``.``, ``_`` or ``-``.

    Parameters
    ----------
    username : str

    Returns
    -------
    str

    Raises
    ------
    StoreError
        Naming the value and what was expected.
    """
    if not USERNAME_PATTERN.fullmatch(username or ""):
        msg = (
            f"username {username!r} is not 2-80 letters, digits, '.', '_' or '-' "
            "starting with a letter or digit"
        )
        raise StoreError(msg)
    return username


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``.

    Parameters
    ----------
    password : str
        At least :data:`MIN_PASSWORD_LENGTH` characters.

    Returns
    -------
    str

    Raises
    ------
    StoreError
        If the password is too short.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"the password has {len(password)} characters; at least {MIN_PASSWORD_LENGTH} needed"
        raise StoreError(msg)
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``stored_hash`` (never raises on a mismatch).

    Parameters
    ----------
    stored_hash, password : str

    Returns
    -------
    bool
    """
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    """Return a new random session token (URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()
