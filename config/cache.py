"""The shared cache in Redis, living beside the Celery broker's keys.

Counts that must hold across processes (the API's throttles: a client gets the
same number of attempts however many gunicorn workers answer it) live in the
cache, and a deployment's Redis is the broker's Redis.  Django's ``RedisCache``
empties its whole Redis database on ``clear()`` (``FLUSHDB``), which would drop the
broker's queued tasks and bindings with it; this one deletes only its own keys,
those under its ``KEY_PREFIX``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

_BATCH = 500


class PrefixedRedisCache(RedisCache):
    """Django's Redis cache whose ``clear()`` removes its own keys only."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        if not self.key_prefix:
            raise ImproperlyConfigured(
                "PrefixedRedisCache needs a KEY_PREFIX: it shares its Redis database "
                "with other keys, and clear() deletes the keys under the prefix"
            )

    def clear(self) -> bool:
        client = self._cache.get_client(None, write=True)
        # make_key() writes "<prefix>:<version>:<key>"; every version goes.
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=_BATCH):
            batch.append(key)
            if len(batch) >= _BATCH:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
        return True
