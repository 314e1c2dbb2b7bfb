-- Helpers of the Citus suite (schema citus_test, made by setup.sql).

-- The plan of a query, as EXPLAIN (VERBOSE) prints it.
CREATE FUNCTION citus_test.plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    acc text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
        acc := acc || line || E'\n';
    END LOOP;
    RETURN acc;
END
$$;

-- The single value of a query run with the coordinator forbidden to pull rows for aggregates.
CREATE FUNCTION citus_test.run_pushed(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    PERFORM set_config('citus.coordinator_aggregation_strategy', 'disabled', true);
    EXECUTE q INTO r;
    PERFORM set_config('citus.coordinator_aggregation_strategy', 'row-gather', true);
    RETURN r;
END
$$;

-- The two pushdown tests of an aggregate query: EXPLAIN (VERBOSE) shows worker_partial_agg, and
-- the query runs with citus.coordinator_aggregation_strategy = 'disabled'.
CREATE FUNCTION citus_test.pushdown(agg text, q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT ok(citus_test.plan(q) LIKE '%worker_partial_agg%', agg || ': EXPLAIN (VERBOSE) shows worker_partial_agg');
    RETURN NEXT lives_ok(format('SELECT citus_test.run_pushed(%L)', q), agg || ': runs with coordinator_aggregation_strategy = disabled');
END
$$;

-- Element-wise agreement of two float8 arrays: |a - b| <= tol * max(|a|, |b|) (or both NULL; a
-- NULL against a number disagrees).
CREATE FUNCTION citus_test.close(a float8[], b float8[], tol float8) RETURNS boolean LANGUAGE sql AS $$
    SELECT cardinality(a) = cardinality(b)
           AND bool_and(COALESCE((x IS NULL AND y IS NULL) OR x = y OR abs(x - y) <= tol * greatest(abs(x), abs(y)), false))
    FROM unnest(a, b) AS u(x, y)
$$;

-- The worst rank error of quantile estimates q at probabilities p in the float8 column of a query.
CREATE FUNCTION citus_test.rank_error(col_query text, p float8[], q float8[]) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    r float8;
BEGIN
    EXECUTE format('SELECT max(abs(p - rk)) FROM unnest($1, $2) AS u(p, q),
                    LATERAL (SELECT avg((v <= q)::int)::float8 AS rk FROM (%s) AS t(v)) AS r', col_query)
    INTO r USING p, q;
    RETURN r;
END
$$;

-- Sum of squared distances of the rows of a float8[] query to their nearest centroid.
CREATE FUNCTION citus_test.sse(m dmine.kmeans_model, rows_query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    r float8;
BEGIN
    EXECUTE format('SELECT sum(power(dmine.dm_kmeans_distance($1, f), 2)) FROM (%s) AS t(f)', rows_query) INTO r USING m;
    RETURN r;
END
$$;

-- ROC AUC of a model's scores for the planted outliers (Mann-Whitney), on the local copy.
CREATE FUNCTION citus_test.auc(m dmine.iforest_model) RETURNS float8 LANGUAGE sql AS $$
    WITH s AS (SELECT outlier, dmine.dm_iforest_score(m, f) AS score FROM citus_test.planted_local),
         r AS (SELECT outlier, rank() OVER (ORDER BY score) AS rk FROM s)
    SELECT (sum(rk) FILTER (WHERE outlier) - count(*) FILTER (WHERE outlier) * (count(*) FILTER (WHERE outlier) + 1) / 2.0)
           / (count(*) FILTER (WHERE outlier) * count(*) FILTER (WHERE NOT outlier))
    FROM r
$$;
