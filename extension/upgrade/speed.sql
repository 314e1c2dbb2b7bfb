-- 0.1.0 -> speed: the pipeline at warehouse scale.
-- dm_date_key and dm_date_key_sql check the month's length in integer arithmetic (same results,
-- no date built per row); the pipeline's default silhouette_sample is 5000 customers (was 10000).

CREATE OR REPLACE FUNCTION dm_date_key(key bigint) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN key BETWEEN 10000101 AND 99991231 AND key / 100 % 100 BETWEEN 1 AND 12
                     AND key % 100 BETWEEN 1 AND CASE WHEN key / 100 % 100 = 2
                                                     THEN 28 + (key / 10000 % 4 = 0 AND (key / 10000 % 100 <> 0 OR key / 10000 % 400 = 0))::int
                                                     ELSE 30 + (key / 100 % 100 + key / 100 % 100 / 8) % 2 END
                THEN make_date((key / 10000)::int, (key / 100 % 100)::int, (key % 100)::int) END
$$;
COMMENT ON FUNCTION dm_date_key(bigint) IS 'a yyyymmdd integer date key as a date, NULL when it is not a valid date';

CREATE OR REPLACE FUNCTION dm_date_key_sql(expr text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CASE WHEN (%1$s) BETWEEN 10000101 AND 99991231 AND (%1$s) / 100 %% 100 BETWEEN 1 AND 12 '
                  'AND (%1$s) %% 100 BETWEEN 1 AND CASE WHEN (%1$s) / 100 %% 100 = 2 '
                  'THEN 28 + ((%1$s) / 10000 %% 4 = 0 AND ((%1$s) / 10000 %% 100 <> 0 OR (%1$s) / 10000 %% 400 = 0))::int '
                  'ELSE 30 + ((%1$s) / 100 %% 100 + (%1$s) / 100 %% 100 / 8) %% 2 END '
                  'THEN make_date(((%1$s) / 10000)::int, ((%1$s) / 100 %% 100)::int, ((%1$s) %% 100)::int) END', expr)
$$;

CREATE OR REPLACE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 5000, "breakdown_rows": 100, "histogram_rule": "auto"}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000],
        "breakdown_rows": [1, 1000000]}';
    merged jsonb;
    key text;
    v jsonb;
    names text[];
BEGIN
    IF options IS NULL THEN
        options := '{}';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'mining options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key IN SELECT jsonb_object_keys(options) LOOP
        IF NOT defaults ? key THEN
            RAISE EXCEPTION 'unknown mining option "%"', key
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Options: ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(defaults) AS k) || '.';
        END IF;
    END LOOP;
    merged := jsonb_strip_nulls(defaults || options);
    -- Integers within ranges.
    FOR key, v IN SELECT e.key, e.value FROM jsonb_each(merged) AS e WHERE ranges ? e.key LOOP
        IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
           OR v::text::numeric < (ranges->key->>0)::numeric OR v::text::numeric > (ranges->key->>1)::numeric THEN
            RAISE EXCEPTION 'mining option "%" must be an integer from % to %, got %', key,
                            ranges->key->>0, ranges->key->>1, v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF (merged->>'k_min')::int > (merged->>'k_max')::int THEN
        RAISE EXCEPTION 'mining option k_min (%) is greater than k_max (%)', merged->>'k_min', merged->>'k_max'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'quick_percent';
    IF jsonb_typeof(v) <> 'number' OR NOT (v::text::float8 > 0 AND v::text::float8 <= 100) THEN
        RAISE EXCEPTION 'mining option "quick_percent" must be a number in (0, 100], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'contamination';
    IF NOT (v = '"auto"' OR (jsonb_typeof(v) = 'number' AND v::text::float8 > 0 AND v::text::float8 <= 0.5)) THEN
        RAISE EXCEPTION 'mining option "contamination" must be "auto" or a share in (0, 0.5], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT merged->>'rfm_scheme' IN ('default', 'coarse') THEN
        RAISE EXCEPTION 'mining option "rfm_scheme" must be "default" or "coarse", got %', merged->'rfm_scheme'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT merged->>'histogram_rule' IN ('auto', 'log', 'fd', 'equal') THEN
        RAISE EXCEPTION 'mining option "histogram_rule" must be "auto", "log", "fd" or "equal", got %', merged->'histogram_rule'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF merged ? 'as_of' THEN
        BEGIN
            PERFORM (merged->>'as_of')::date;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'mining option "as_of" must be a date, got %', merged->'as_of'
                USING ERRCODE = 'invalid_parameter_value';
        END;
    END IF;
    IF merged ? 'cluster_features' THEN
        IF jsonb_typeof(merged->'cluster_features') <> 'array' OR jsonb_array_length(merged->'cluster_features') = 0 THEN
            RAISE EXCEPTION 'mining option "cluster_features" must be a non-empty array of feature names'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT array_agg(x) INTO names FROM jsonb_array_elements_text(merged->'cluster_features') AS x;
        IF NOT names <@ ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity', 'night_share'] THEN
            RAISE EXCEPTION 'mining option "cluster_features" has an unknown feature in %', merged->'cluster_features'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Features: recency_days, frequency, monetary, avg_basket, avg_quantity, night_share.';
        END IF;
    END IF;
    RETURN merged;
END
$$;
