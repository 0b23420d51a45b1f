"""Users and API keys. A key is `cn_<id>_<secret>`; only an HMAC of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from consensusnet.domain.accounts import ApiKeyInfo, IssuedKey, User
from consensusnet.domain.errors import ConsensusNetError, NotFoundError
from consensusnet.store.tables import api_keys, users

KEY_PREFIX = "cn_"


class ConflictError(ConsensusNetError):
    """The thing being created already exists."""


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(mapping: Any) -> User:
    return User(
        id=mapping["id"],
        name=mapping["name"],
        is_admin=bool(mapping["is_admin"]),
        created_at=_aware(mapping["created_at"]),
    )


class UserStore:
    """Creates users and keys, and answers 'whose key is this?' in one indexed lookup."""

    def __init__(self, engine: AsyncEngine, secret: str) -> None:
        self.engine = engine
        self._secret = secret.encode()

    def _digest(self, secret: str) -> str:
        return hmac.new(self._secret, secret.encode(), hashlib.sha256).hexdigest()

    async def create_user(self, name: str, *, is_admin: bool = False) -> User:
        """A new user; ConflictError when the name is taken."""
        user = User(id=uuid.uuid4().hex, name=name, is_admin=is_admin, created_at=_now())
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(users).values(**user.model_dump()))
        except IntegrityError:
            raise ConflictError(f"A user named {name!r} already exists.") from None
        return user

    async def ensure_user(self, name: str, *, is_admin: bool = False) -> User:
        """The user with this name, created when missing (the no-auth local user)."""
        try:
            return await self.user_by_name(name)
        except NotFoundError:
            try:
                return await self.create_user(name, is_admin=is_admin)
            except ConflictError:
                return await self.user_by_name(name)

    async def user_by_name(self, name: str) -> User:
        """One user by name, or NotFoundError."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.name == name))).first()
        if row is None:
            raise NotFoundError(
                f"No user {name!r}.", hint="Create one: consensusnet users create NAME"
            )
        return _user(row._mapping)

    async def list_users(self) -> list[User]:
        """Every user, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(users).order_by(users.c.created_at))
            return [_user(row._mapping) for row in rows]

    async def create_key(self, user_name: str) -> IssuedKey:
        """A new key for the user; the token is returned once and never stored."""
        user = await self.user_by_name(user_name)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = _now()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(api_keys).values(
                    id=key_id, user_id=user.id, hash=self._digest(secret), created_at=now
                )
            )
        info = ApiKeyInfo(id=key_id, user_id=user.id, user_name=user.name, created_at=now)
        return IssuedKey(info=info, token=f"{KEY_PREFIX}{key_id}_{secret}")

    async def list_keys(self, user_name: str | None = None) -> list[ApiKeyInfo]:
        """Keys (never their secrets), optionally for one user."""
        query = select(api_keys, users.c.name.label("user_name")).join(
            users, users.c.id == api_keys.c.user_id
        )
        if user_name:
            query = query.where(users.c.name == user_name)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.order_by(api_keys.c.created_at))
            return [
                ApiKeyInfo(
                    id=row.id,
                    user_id=row.user_id,
                    user_name=row.user_name,
                    created_at=_aware(row.created_at),
                    revoked_at=_aware(row.revoked_at),
                )
                for row in rows
            ]

    async def revoke_key(self, key_id: str) -> None:
        """Revoke a key by id; NotFoundError when no active key has it."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        if result.rowcount == 0:
            raise NotFoundError(f"No active key {key_id!r}.", hint="consensusnet keys list")

    async def authenticate(self, token: str) -> User | None:
        """The user a token belongs to, or None for an unknown, malformed or revoked one."""
        if not token.startswith(KEY_PREFIX):
            return None
        key_id, _, secret = token[len(KEY_PREFIX) :].partition("_")
        if not key_id or not secret:
            return None
        query = (
            select(api_keys.c.hash, users)
            .join(users, users.c.id == api_keys.c.user_id)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or not hmac.compare_digest(row.hash, self._digest(secret)):
            return None
        return _user(row._mapping)
