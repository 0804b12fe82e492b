"""Benchmark: where the database's bytes go per complaint closed through both stages, table by table and
index by index (SQLite: the dbstat virtual table; PostgreSQL: pg_relation_size of each relation).

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="complaints to push through both stages")
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        app = make_app(url)
        before = relation_bytes(app)
        *_, numbers = through_engine(app, args.n)
        close_stage2(app, numbers)
        after = relation_bytes(app)
    grown = {k: (after.get(k, 0) - before.get(k, 0)) / args.n for k in after}
    tables: dict[str, float] = {}
    for (table, _name), size in grown.items():
        tables[table] = tables.get(table, 0) + size
    total = sum(grown.values())
    print(f"database: {url.split(':')[0]}; complaints closed through both stages: {args.n}")
    print(f"{'table / relation':48s} {'bytes per complaint':>20s}")
    for table, size in sorted(tables.items(), key=lambda kv: -kv[1]):
        if abs(size) < 1:
            continue
        print(f"{table:48s} {size:20,.0f}")
        for (t, name), part in sorted(grown.items(), key=lambda kv: -kv[1]):
            if t == table and abs(part) >= 1 and (name != table or len([k for k in grown if k[0] == t]) > 1):
                print(f"  {name:46s} {part:20,.0f}")
    print(f"{'total':48s} {total:20,.0f}")
    print(json.dumps({"bytes_per_complaint": round(total),
                      "tables": {t: round(s) for t, s in sorted(tables.items()) if abs(s) >= 1}}))


if __name__ == "__main__":
    main()
