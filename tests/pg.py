"""PostgreSQL for the tests: a fresh schema per test in the database ``WARDEN_TEST_DATABASE_URL`` names.

``.ci/run`` (and ``scripts/pg-test-cluster`` locally) starts a throwaway cluster and sets the URL.
Without it the PostgreSQL variants of the storage tests skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ENV = "WARDEN_TEST_DATABASE_URL"
SKIP_REASON = (
    f"{ENV} is not set: PostgreSQL tests need a server "
    "(dir=$(mktemp -d); export WARDEN_TEST_DATABASE_URL=$(scripts/pg-test-cluster start $dir))"
)


def base_url() -> str | None:
    """The test server's URL, if one was given."""
    return os.environ.get(ENV) or None


def schema_url(base: str, schema: str) -> str:
    """``base`` with ``schema`` first on the search path (every unqualified table lives there)."""
    parts = urlsplit(base)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def create_schema(base: str) -> tuple[str, str]:
    """A new empty schema: ``(name, url)``."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name, schema_url(base, name)


def drop_schema(base: str, name: str) -> None:
    """Drop a schema made by :func:`create_schema`, with everything in it."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
