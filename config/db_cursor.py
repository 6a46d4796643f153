"""The database cursor: parameters bound by the server, statements run often prepared.

Why: on the review and queue pages PostgreSQL spent as much of its time parsing and
planning each statement as running it (CPU of the backend, per review page: 1.8 ms with
parameters bound into the SQL text by the client, 0.65 ms with them bound by the server
and the page's statements prepared; queue page 3.9 -> 2.0 ms). With server-side binding,
psycopg prepares a statement once a connection has run it ``prepare_threshold`` times
(``DB_PREPARE_THRESHOLD``) and then only sends its parameters.

What stays as it was:

- A statement with more parameters than the protocol carries (65,535: an ``IN`` list over
  a large selection) is bound on the client and not prepared.
- Named cursors (``QuerySet.iterator()``) bind on the client, as Django's own class for
  them does (:func:`bind_named_cursors_on_the_client`): a stream is one statement, nothing
  to prepare, and its filters may be that large too.
- A migration run by another process may change what a prepared statement returns (a
  column's type); PostgreSQL then refuses it ("cached plan must not change result type").
  Outside a transaction the cursor forgets the connection's prepared statements and runs
  the statement again.  Inside one the transaction has failed: the error goes up, and the
  rollback makes psycopg forget them (one failed request per connection at most; the
  deployment restarts its processes after migrating).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql.base import ServerBindingCursor, ServerSideCursor
from django.db.backends.signals import connection_created
from psycopg.pq import TransactionStatus

MAX_SERVER_PARAMETERS = 65_535
_STALE_PLAN = "cached plan must not change result type"


class PreparingCursor(ServerBindingCursor):
    """Django's server-binding cursor, binding on the client past the protocol's limit and
    running a statement again once if a schema change made its prepared plan stale."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> PreparingCursor:
        if params is not None and len(params) > MAX_SERVER_PARAMETERS:
            query = psycopg.ClientCursor(self.connection).mogrify(query, params)
            params = None
            kwargs["prepare"] = False
        try:
            return super().execute(query, params, **kwargs)
        except psycopg.errors.FeatureNotSupported as exc:
            idle = self.connection.info.transaction_status == TransactionStatus.IDLE
            if _STALE_PLAN not in str(exc) or not idle:
                raise
        # Every statement this connection prepared may be as stale: psycopg forgets them
        # all on this command (and the server drops them).
        self.connection.execute("DEALLOCATE ALL")
        return super().execute(query, params, **kwargs)


def bind_named_cursors_on_the_client(connection: Any, **_kwargs: Any) -> None:
    """``connection_created`` receiver: the connection's named cursors are Django's
    client-binding class (which Django itself picks when server-side binding is off)."""
    if connection.vendor == "postgresql":
        connection.connection.server_cursor_factory = ServerSideCursor


def prepared_statement_options(threshold: int) -> dict[str, Any]:
    """The ``DATABASES`` options that bind on the server and prepare a statement run
    ``threshold`` times, with named cursors left binding on the client."""
    connection_created.connect(
        bind_named_cursors_on_the_client, dispatch_uid="declass-named-cursors-client-bound"
    )
    return {
        "server_side_binding": True,
        "prepare_threshold": threshold,
        "cursor_factory": PreparingCursor,
    }
