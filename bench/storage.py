"""Benchmark: where the database's bytes go per complaint closed through both stages, table by table and
index by index (SQLite: the dbstat virtual table; PostgreSQL: pg_relation_size of each relation).

Two columns: `grown`, what the files grew by (what bench/lifecycle.py counts), and `live`, the same after
VACUUM (SQLite) or VACUUM FULL (PostgreSQL) before and after the run: without the free space of pages
half filled and, on PostgreSQL, without the dead row versions every UPDATE leaves until VACUUM.

    .venv/bin/python bench/storage.py [-n 100] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lifecycle import close_stage2, make_app, through_engine  # noqa: E402


def relation_bytes(app: Any) -> dict[tuple[str, str], int]:
    """Bytes per (table, relation): the table itself, each index, and TOAST on PostgreSQL. Whole pages, as
    bench/lifecycle.py counts the database (SQLite: the pages each b-tree holds; PostgreSQL: relation size)."""
    from models import db

    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = conn.exec_driver_sql(
                "SELECT s.name, coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY s.name").all()
            return {(table, name): int(size) for name, table, size in rows}
        rows = conn.exec_driver_sql(
            "SELECT c.relname, c.relname, pg_relation_size(c.oid) + coalesce(pg_total_relation_size("
            "nullif(c.reltoastrelid, 0)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' "
            "UNION ALL SELECT t.relname, i.relname, pg_relation_size(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'").all()
        return {(table, name): int(size) for table, name, size in rows}


def compact(app: Any) -> None:
    """Rewrite every table packed: VACUUM on SQLite, VACUUM FULL on PostgreSQL."""
    from models import db

    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM FULL" if db.engine.dialect.name == "postgresql" else "VACUUM")


def per_complaint(before: dict[tuple[str, str], int], after: dict[tuple[str, str], int], n: int
                  ) -> dict[tuple[str, str], float]:
    return {k: (after.get(k, 0) - before.get(k, 0)) / n for k in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="complaints to push through both stages")
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        app = make_app(url)
        compact(app)
        before = relation_bytes(app)
        *_, numbers = through_engine(app, args.n)
        close_stage2(app, numbers)
        grown = per_complaint(before, relation_bytes(app), args.n)
        compact(app)
        live = per_complaint(before, relation_bytes(app), args.n)
    tables: dict[str, list[float]] = {}
    for key in grown.keys() | live.keys():
        sums = tables.setdefault(key[0], [0.0, 0.0])
        sums[0] += grown.get(key, 0)
        sums[1] += live.get(key, 0)
    print(f"database: {url.split(':')[0]}; complaints closed through both stages: {args.n}")
    print(f"{'bytes per complaint: table / relation':46s} {'grown':>10s} {'live':>10s}")
    for table, (size, packed) in sorted(tables.items(), key=lambda kv: -kv[1][0]):
        if abs(size) < 1 and abs(packed) < 1:
            continue
        print(f"{table:46s} {size:10,.0f} {packed:10,.0f}")
        parts = sorted({k for k in grown.keys() | live.keys() if k[0] == table}, key=lambda k: -grown.get(k, 0))
        for key in parts if len(parts) > 1 else ():
            if abs(grown.get(key, 0)) >= 1 or abs(live.get(key, 0)) >= 1:
                print(f"  {key[1]:44s} {grown.get(key, 0):10,.0f} {live.get(key, 0):10,.0f}")
    total, total_live = sum(grown.values()), sum(live.values())
    print(f"{'total':46s} {total:10,.0f} {total_live:10,.0f}")
    print(json.dumps({"bytes_per_complaint": round(total), "live_bytes_per_complaint": round(total_live),
                      "tables": {t: round(v[0]) for t, v in sorted(tables.items()) if abs(v[0]) >= 1}}))


if __name__ == "__main__":
    main()
