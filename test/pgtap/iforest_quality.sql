-- Isolation Forest quality through SQL: AUC on the ODDS benchmarks against the paper
-- (Liu, Ting & Zhou 2008), computed in SQL from dm_iforest_score, and explanations of planted
-- anomalies in generated sales lines.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(11);

-- anomaly/<name>.csv.gz (id, x0..x(d-1), y) as a table of (x float8[], y int).
CREATE FUNCTION pg_temp.load_anomaly_set(name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE loaded bigint;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS raw_lines (line text);
    TRUNCATE raw_lines;
    EXECUTE format('COPY raw_lines FROM PROGRAM %L WITH (FORMAT text, HEADER)',
                   'gzip -dc ' || (SELECT data_dir FROM dmine_test.settings) || '/anomaly/' || name || '.csv.gz');
    EXECUTE format($q$CREATE TEMP TABLE %I AS
                      SELECT v[2:cardinality(v) - 1] AS x, v[cardinality(v)]::int AS y
                      FROM (SELECT string_to_array(line, ',')::float8[] AS v FROM raw_lines) AS t$q$, name);
    EXECUTE format('SELECT count(*) FROM %I', name) INTO loaded;
    RETURN loaded;
END
$$;

-- AUC of the scores of a model fitted with `seed` on table `name`: the Mann-Whitney statistic,
-- ties counted half (mean ranks).
CREATE FUNCTION pg_temp.auc(name text, seed int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE result float8;
BEGIN
    EXECUTE format($q$
        WITH m AS (SELECT dmine.dm_iforest(x, jsonb_build_object('seed', %s)) AS model FROM %I),
             s AS (SELECT y, dmine.dm_iforest_score(m.model, x) AS score FROM %I, m),
             r AS (SELECT y, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS rnk
                   FROM s),
             c AS (SELECT count(*) FILTER (WHERE y = 1)::float8 AS p, count(*) FILTER (WHERE y = 0)::float8 AS n,
                          sum(rnk) FILTER (WHERE y = 1)::float8 AS rank_sum FROM r)
        SELECT (rank_sum - p * (p + 1) / 2) / (p * n) FROM c$q$, seed, name, name)
    INTO result;
    RETURN result;
END
$$;

CREATE FUNCTION pg_temp.auc_tests() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    mean_auc float8;
BEGIN
    IF NOT dmine_test.data_available() THEN
        RETURN NEXT skip('reference data not available', 9);
        RETURN;
    END IF;
    -- Paper (ψ = 256, t = 100) and scikit-learn 1.2.1 (mean of 5 seeds) on the same files.
    FOR r IN SELECT * FROM (VALUES ('shuttle', 1.00, 0.997), ('mammography', 0.86, 0.859),
                                   ('annthyroid', 0.82, 0.827), ('satellite', 0.71, 0.696),
                                   ('pima', 0.67, 0.670), ('breastw', 0.99, 0.988),
                                   ('arrhythmia', 0.80, 0.807), ('ionosphere', 0.85, 0.857),
                                   ('smtp', 0.88, 0.904)) AS t(name, paper, sklearn)
    LOOP
        PERFORM pg_temp.load_anomaly_set(r.name);
        SELECT avg(pg_temp.auc(r.name, seed)) INTO mean_auc FROM generate_series(0, 4) AS seed;
        RETURN NEXT ok(mean_auc >= r.paper - 0.02,
                       format('%s: mean AUC over 5 seeds %s >= paper %s - 0.02 (scikit-learn %s)',
                              r.name, round(mean_auc::numeric, 3), r.paper, r.sklearn));
    END LOOP;
END
$$;
SELECT * FROM pg_temp.auc_tests();

-- Explanations: 20,000 generated sales lines (amount, quantity, hour, weekday) and 60 planted
-- anomalies: amount x 40, quantity x 60, sale at 3 a.m. Among the planted anomalies that score
-- in the top 1%, the top-ranked feature names the planted one for at least 90%.
SELECT setseed(0.42);
CREATE TEMP TABLE sales AS
SELECT i AS line,
       round((exp(3.5 + 0.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::numeric, 2)::float8 AS amount,
       1 + floor(-ln(1 - random()) * 3) AS quantity,
       least(21, greatest(8, round(14 + 2.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))) AS hour,
       floor(random() * 7) AS weekday,
       NULL::text AS planted
FROM generate_series(1, 20060) AS i;
UPDATE sales SET amount = amount * 40, planted = 'amount' WHERE line > 20000 AND line <= 20020;
UPDATE sales SET quantity = quantity * 60, planted = 'quantity' WHERE line > 20020 AND line <= 20040;
UPDATE sales SET hour = 3, planted = 'hour' WHERE line > 20040;
CREATE TEMP TABLE sales_model AS
SELECT dm_iforest(ARRAY[amount, quantity, hour, weekday], '{"contamination": 0.01}') AS model FROM sales;
CREATE TEMP TABLE flagged AS
SELECT s.line, s.planted,
       (SELECT e.name FROM dm_iforest_explain(m.model, ARRAY[amount, quantity, hour, weekday],
                                              ARRAY['amount', 'quantity', 'hour', 'weekday']) AS e
        WHERE e.rank = 1) AS top_feature
FROM sales AS s, sales_model AS m
WHERE s.planted IS NOT NULL AND dm_iforest_is_anomaly(m.model, ARRAY[amount, quantity, hour, weekday]);
SELECT ok((SELECT count(*) >= 20 FROM flagged), 'planted anomalies reach the top 1%: ' || (SELECT count(*) FROM flagged));
SELECT ok((SELECT avg((top_feature = planted)::int) >= 0.9 FROM flagged),
          format('the top feature names the planted one for %s%% of the flagged planted anomalies',
                 (SELECT round(100 * avg((top_feature = planted)::int), 1) FROM flagged)));

SELECT * FROM finish();
ROLLBACK;
