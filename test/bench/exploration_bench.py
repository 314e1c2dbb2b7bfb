"""Benchmark of the exploration functions (docs/exploration.md) on the demo warehouse.

One call of each function against a plain scan of the fact table in the same session
(`SELECT count(*), sum(amount) FROM sales_lines`, with 2 parallel workers and serial): the
ratios say how many scans' worth each call costs. DMINE_BENCH_SCALE sets the demo's scale
(default 1: about 1,000,000 sales lines); DMINE_BENCH_REPEAT the runs per measure (median,
default 1).

DMINE_BENCH_WAREHOUSE=1: instead, the generated warehouse of test/bench/warehouse_gen.py
(DMINE_BENCH_LINES lines, default 2,000,000; 20,000 customers, 3,000 products) at PostgreSQL's
default memory settings (work_mem 4MB, hash_mem_multiplier 2), dm_trends and dm_breakdowns as the
pipeline calls them, each divided by the plain scan of the columns it reads. DMINE_BENCH_BEFORE
names a schema holding an earlier version of the exploration functions (same names): they run in
the same session and the table gives the speed-up.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import PARALLEL_2, SERIAL, connect, execute, time_sql

SCALE = float(os.environ.get("DMINE_BENCH_SCALE", "1"))
REPEAT = int(os.environ.get("DMINE_BENCH_REPEAT", "1"))
SCHEMA = "bench_explore"
T = f"'{SCHEMA}.sales_lines'"

CALLS = [
    ("dm_sales_series(..., 'month') (revenue and lines only)",
     f"SELECT count(*) FROM dmine.dm_sales_series({T}, 'sold_at', 'amount', 'month')"),
    ("dm_sales_series(..., 'month', order, customer, quantity)",
     f"SELECT count(*) FROM dmine.dm_sales_series({T}, 'sold_at', 'amount', 'month', 'order_id', 'customer_id', 'quantity')"),
    ("dm_sales_series(..., 'all', order, customer, quantity)",
     f"SELECT count(*) FROM dmine.dm_sales_series({T}, 'sold_at', 'amount', 'all', 'order_id', 'customer_id', 'quantity')"),
    ("dm_seasonality(...) (revenue)",
     f"SELECT count(*) FROM dmine.dm_seasonality({T}, 'sold_at', 'amount')"),
    ("dm_sales_heatmap(..., order)",
     f"SELECT count(*) FROM dmine.dm_sales_heatmap({T}, 'sold_at', 'amount', 'order_id')"),
    ("dm_trends(...): all grains, seasonality, heatmap, one read",
     f"SELECT dmine.dm_trends({T}, 'sold_at', 'amount', 'order_id', 'customer_id', 'quantity') IS NOT NULL"),
    ("dm_breakdown by product family (joined), customers, growth",
     f"SELECT count(*) FROM dmine.dm_breakdown({T}, 'amount', 'product_id', 'sold_at', 'customer_id', "
     f"'{SCHEMA}.products', 'product_id', 'family')"),
    ("dm_breakdowns: family, depot city, customer, one read",
     f"""SELECT count(*) FROM dmine.dm_breakdowns({T}, 'amount',
         '[{{"column": "product_id", "table": "{SCHEMA}.products", "attribute": "family"}},
           {{"column": "depot_id", "table": "{SCHEMA}.depots", "attribute": "city"}},
           {{"column": "customer_id"}}]', 'sold_at', 'customer_id')"""),
    ("dm_concentration by product",
     f"SELECT count(*) FROM dmine.dm_concentration({T}, 'amount', 'product_id')"),
    ("dm_top customers",
     f"SELECT count(*) FROM dmine.dm_top({T}, 'amount', 'customer_id')"),
]


WH = "bench_explore_wh"
WH_CALLS = [
    ("dm_trends: order, customer, quantity, hour (3 grains, seasonality, heatmap)",
     ["sold_at", "amount", "order_id", "customer_id", "quantity"],
     "SELECT {s}.dm_trends('{wh}.sales_lines', 'sold_at', 'amount', 'order_id', 'customer_id', 'quantity') IS NOT NULL"),
    ("dm_breakdowns: product, depot, customer, family, region (joined), growth",
     ["sold_at", "amount", "customer_id", "product_id", "depot_id"],
     """SELECT count(*) FROM {s}.dm_breakdowns('{wh}.sales_lines', 'amount',
         '[{{"column": "product_id"}}, {{"column": "depot_id"}}, {{"column": "customer_id"}},
           {{"column": "product_id", "table": "{wh}.products", "attribute": "family"}},
           {{"column": "customer_id", "table": "{wh}.customers", "attribute": "region"}}]',
         'sold_at', 'customer_id')"""),
]
DEFAULTS = {"work_mem": "'4MB'", "hash_mem_multiplier": "2", "max_parallel_workers_per_gather": "2"}


def warehouse_main():
    import warehouse_gen
    conn = connect()
    lines = warehouse_gen.generate(conn, WH, int(os.environ.get("DMINE_BENCH_LINES", "2000000")))
    before = os.environ.get("DMINE_BENCH_BEFORE")
    for name, value in DEFAULTS.items():
        execute(conn, f"SET {name} = {value}")
    print(f"\nExploration on the generated warehouse ({lines:,} sales lines) at default memory settings, "
          f"median of {REPEAT}")
    print(f"{'call':74} {'time':>8} {'floor':>7} {'x floor':>8}" + (f" {'before':>8} {'x floor':>8} {'speed-up':>8}" if before else ""))
    for label, columns, sql in WH_CALLS:
        floor = time_sql(conn, f"SELECT {', '.join(f'count({c})' for c in columns)} FROM {WH}.sales_lines", 3)
        t = time_sql(conn, sql.format(s="dmine", wh=WH), REPEAT)
        row = f"{label:74} {t:7.2f}s {floor:6.2f}s {t / floor:7.1f}x"
        if before:
            b = time_sql(conn, sql.format(s=before, wh=WH), REPEAT)
            row += f" {b:7.2f}s {b / floor:7.1f}x {b / t:7.1f}x"
        print(row)
    execute(conn, f"DROP SCHEMA {WH} CASCADE")


def main():
    if os.environ.get("DMINE_BENCH_WAREHOUSE"):
        return warehouse_main()
    conn = connect()
    lines = execute(conn, f"SELECT row_count FROM dmine.create_demo_warehouse('{SCHEMA}', scale => {SCALE}) "
                          "WHERE table_name LIKE '%.sales_lines'")[0][0]
    execute(conn, f"VACUUM ANALYZE {SCHEMA}.sales_lines")
    scan = f"SELECT count(*), sum(amount) FROM {SCHEMA}.sales_lines"
    parallel = time_sql(conn, scan, REPEAT, PARALLEL_2)
    serial = time_sql(conn, scan, REPEAT, SERIAL)
    print(f"\nExploration functions on the demo warehouse at scale {SCALE} ({lines:,} sales lines), "
          f"median of {REPEAT}")
    print(f"baseline scan: {parallel:.3f}s with 2 parallel workers, {serial:.3f}s serial")
    print(f"{'call':60} {'time':>8} {'÷ parallel':>11} {'÷ serial':>9}")
    for label, sql in CALLS:
        t = time_sql(conn, sql, REPEAT)
        print(f"{label:60} {t:7.2f}s {t / parallel:10.1f}x {t / serial:8.1f}x")
    execute(conn, f"DROP SCHEMA {SCHEMA} CASCADE")
    execute(conn, f"DELETE FROM dmine.mining_config WHERE config_name = '{SCHEMA}'")


if __name__ == "__main__":
    main()
