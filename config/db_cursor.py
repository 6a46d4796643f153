"""The database cursor: parameters bound by the server, statements run often prepared.

Why: on the review and queue pages PostgreSQL spent as much of its time parsing and
planning each statement as running it (CPU of the backend, per review page: 1.8 ms with
parameters bound into the SQL text by the client, 0.65 ms with them bound by the server
and the page's statements prepared; queue page 3.9 -> 2.0 ms). With server-side binding,
psycopg prepares a statement once a connection has run it ``prepare_threshold`` times
(``DB_PREPARE_THRESHOLD``) and then only sends its parameters.

The protocol takes at most 65,535 parameters a statement; a statement with more (an
``IN`` list over a large selection) is bound on the client, as before, and not prepared.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql.base import ServerBindingCursor

MAX_SERVER_PARAMETERS = 65_535


class PreparingCursor(ServerBindingCursor):
    """Django's server-binding cursor, binding on the client past the protocol's limit."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> PreparingCursor:
        if params is not None and len(params) > MAX_SERVER_PARAMETERS:
            query = psycopg.ClientCursor(self.connection).mogrify(query, params)
            params = None
            kwargs["prepare"] = False
        return super().execute(query, params, **kwargs)
