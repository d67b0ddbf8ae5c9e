"""Passwords never printed: every URL form SQLAlchemy accepts, masked."""

from __future__ import annotations

import re

_USERINFO_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^@]*@")  # user:pw@ and :pw@ (no user)
_QUERY_PASSWORD = re.compile(r"([?&;](?:password|passwd|pwd)=)[^&;#\s]*", re.IGNORECASE)


def mask_password(text: str) -> str:
    """``text`` (a URL, or a message that quotes one) with every password replaced by
    ``***``, in each form SQLAlchemy accepts: ``user:pw@host``, ``:pw@host`` (no user
    name) and a ``password=`` query parameter."""
    return _QUERY_PASSWORD.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1***@", text))
