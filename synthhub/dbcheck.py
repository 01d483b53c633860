"""Exit 0 when the database named by DATABASE_URL answers within a few seconds, 1 otherwise."""

import os
import sys


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 1
    try:
        import psycopg

        dsn = "postgresql://" + url.split("://", 1)[1]
        with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        print(f"PostgreSQL not available: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
