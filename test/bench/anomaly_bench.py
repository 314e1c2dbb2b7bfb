"""The anomaly step in context on the demo warehouse (2 million lines by default, scale 2;
DMINE_BENCH_SCALE to change), against a baseline run in the same process: the work of the 0.1.0
step (an Isolation Forest of 100 trees x 1,024 lines fitted on a block sample of 200,000 lines,
then every line scored in one parallel pass with its histogram and flagged lines). Goal: at most 2x."""
import os

from benchlib import connect, execute, report, timed

SCALE = float(os.environ.get("DMINE_BENCH_SCALE", "2"))


def main():
    conn = connect()
    execute(conn, "SET client_min_messages = warning")
    execute(conn, "SELECT count(*) FROM dmine.create_demo_warehouse('bench_anomaly', %s)", (SCALE,))
    lines = execute(conn, "SELECT count(*) FROM bench_anomaly.sales_lines")[0][0]
    pct = min(100.0, 100.0 * 200000 / lines)
    feats = ("ARRAY[amount::float8, quantity::float8, date_part('hour', sold_at) + date_part('minute', sold_at) / 60]")

    def baseline():
        # As the 0.1.0 step: the model is a query parameter (decoded once), every line scored in
        # FROM, in one parallel aggregate.
        model = execute(conn, f"""
            SELECT dmine.dm_iforest({feats},
                '{{"n_trees": 100, "sample_size": 1024, "seed": 42, "contamination": 0.002}}')::text
            FROM bench_anomaly.sales_lines TABLESAMPLE SYSTEM ({pct}) REPEATABLE (42)""")[0][0]
        execute(conn, f"""
            SELECT count(score), dmine.dm_histogram(score, 20, 0, 1),
                   dmine.dm_pipeline_collect(jsonb_build_object('line', line_id, 'score', score))
                       FILTER (WHERE score > 0.6)
            FROM bench_anomaly.sales_lines AS l
                 CROSS JOIN LATERAL dmine.dm_iforest_score(%s::dmine.iforest_model, {feats}) AS score""",
                (model,))

    def context_step():
        execute(conn, "CALL dmine.run_mining('bench_anomaly', steps => '{anomalies}')")

    base = timed(baseline, repeat=1)
    new = timed(context_step, repeat=1)
    report(f"anomaly step on {lines:,} demo lines (parallel plans allowed)",
           [("anomaly step in context (2 passes: summaries, scores)", new, base, "<= 2x the 0.1.0 step")])
    execute(conn, "DROP SCHEMA bench_anomaly CASCADE")
    execute(conn, "DELETE FROM dmine.runs WHERE config_name = 'bench_anomaly'")
    execute(conn, "DELETE FROM dmine.mining_config WHERE config_name = 'bench_anomaly'")


if __name__ == "__main__":
    main()
