-- Planting context anomalies in a copy of a fact table (tests of the anomaly step): 0.3% of the
-- lines, chosen by a hash, in three equal parts: unit price x 40 (amount too), quantity x 60
-- (amount too), a sale moved to between 03:00 and 04:00 of its day. The copy is `dst`; the
-- ground truth is `dst`_planted (line key, kind).
CREATE SCHEMA IF NOT EXISTS dmine_ctx;
CREATE OR REPLACE FUNCTION dmine_ctx.plant_context(src text, dst text, line_col text, time_col text, qty_col text,
                                                 amount_col text, price_col text, excluded text DEFAULT NULL,
                                                 share float8 DEFAULT 0.003, seed int DEFAULT 7) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    planted bigint;
BEGIN
    EXECUTE format('CREATE TABLE %s AS SELECT * FROM %s %s', dst, src,
                   CASE WHEN excluded IS NULL THEN '' ELSE format('WHERE %I NOT IN (SELECT %I FROM %s)', line_col, line_col, excluded) END);
    EXECUTE format('SELECT count(*) FROM %s', dst) INTO n;
    planted := 3 * round(share * n / 3);
    EXECUTE format($q$CREATE TABLE %1$s_planted AS
        SELECT %2$I::text AS line_key, (ARRAY['price', 'quantity', 'time'])[1 + (rn %% 3)::int] AS kind
        FROM (SELECT %2$I, row_number() OVER (ORDER BY hashint8extended(%2$I::bigint, %3$s)) AS rn FROM %1$s) s
        WHERE rn <= %4$s$q$, dst, line_col, seed, planted);
    EXECUTE format($q$UPDATE %1$s t SET %2$I = %2$I * 40, %3$I = %3$I * 40
        FROM %1$s_planted p WHERE p.line_key = t.%4$I::text AND p.kind = 'price'$q$, dst, price_col, amount_col, line_col);
    EXECUTE format($q$UPDATE %1$s t SET %2$I = %2$I * 60, %3$I = %3$I * 60
        FROM %1$s_planted p WHERE p.line_key = t.%4$I::text AND p.kind = 'quantity'$q$, dst, qty_col, amount_col, line_col);
    EXECUTE format($q$UPDATE %1$s t SET %2$I = date_trunc('day', %2$I) + interval '3 hours'
                                      + (abs(hashint8(t.%3$I::bigint)) %% 3600) * interval '1 second'
        FROM %1$s_planted p WHERE p.line_key = t.%3$I::text AND p.kind = 'time'$q$, dst, time_col, line_col);
    EXECUTE format('ANALYZE %s', dst);
    RETURN planted;
END
$$;

-- Recall per kind, type accuracy and precision of a run's flagged lines against the ground truth.
CREATE OR REPLACE FUNCTION dmine_ctx.context_quality(run bigint, truth text,
    OUT recall_price float8, OUT recall_quantity float8, OUT recall_time float8, OUT type_right float8,
    OUT prec float8, OUT flagged bigint, OUT planted bigint)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$
        WITH f AS (SELECT line_key, anomaly_type FROM dmine.result_anomalies WHERE run_id = %1$s AND is_anomaly),
             p AS (SELECT * FROM %2$s)
        SELECT (SELECT count(*) FROM p JOIN f USING (line_key) WHERE kind = 'price')::float8 / (SELECT count(*) FROM p WHERE kind = 'price'),
               (SELECT count(*) FROM p JOIN f USING (line_key) WHERE kind = 'quantity')::float8 / (SELECT count(*) FROM p WHERE kind = 'quantity'),
               (SELECT count(*) FROM p JOIN f USING (line_key) WHERE kind = 'time')::float8 / (SELECT count(*) FROM p WHERE kind = 'time'),
               (SELECT count(*) FILTER (WHERE kind = anomaly_type)::float8 / greatest(count(*), 1) FROM p JOIN f USING (line_key)),
               (SELECT count(*) FROM p JOIN f USING (line_key))::float8 / greatest((SELECT count(*) FROM f), 1),
               (SELECT count(*) FROM f), (SELECT count(*) FROM p)$q$, run, truth)
    INTO recall_price, recall_quantity, recall_time, type_right, prec, flagged, planted;
END
$$;
