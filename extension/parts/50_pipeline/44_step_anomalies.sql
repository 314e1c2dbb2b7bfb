-- Pipeline step: anomalies (and the collecting aggregate it uses).
-- Collects values into an array; parallel safe (the partial arrays are concatenated).
-- Its functions are not polymorphic: Citus calls them on the workers without the call's types
-- (array_append and array_cat themselves fail there with "could not determine input data type").
CREATE FUNCTION dm_pipeline_collect_add(s jsonb[], v jsonb) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_append(s, v) $$;
CREATE FUNCTION dm_pipeline_collect_combine(a jsonb[], b jsonb[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_cat(a, b) $$;
COMMENT ON FUNCTION dm_pipeline_collect_add(jsonb[], jsonb) IS 'pipeline internal: transition function of dm_pipeline_collect';
COMMENT ON FUNCTION dm_pipeline_collect_combine(jsonb[], jsonb[]) IS 'pipeline internal: combine function of dm_pipeline_collect';
CREATE AGGREGATE dm_pipeline_collect(jsonb) (
    SFUNC = dm_pipeline_collect_add, STYPE = jsonb[], COMBINEFUNC = dm_pipeline_collect_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_pipeline_collect(jsonb) IS
    'pipeline internal: array of the values (like array_agg), with a combine function for parallel plans';

-- Step: anomalies. Isolation Forest on the line features (amount, quantity, hour of day, extra
-- features); every line scored; the flagged lines and the top lines by score are kept with
-- their explanation, the anomaly type being the feature that contributes most.
CREATE FUNCTION dm_step_anomalies(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    o jsonb := ctx->'options';
    lf record;
    model @extschema@.iforest_model;
    threshold float8;
    not_null text;
    summary record;
    wanted bigint;
    fit_source text := ctx->>'source';
    fit_rows float8 := greatest(200000, 2 * (o->>'n_trees')::float8 * (o->>'sample_size')::float8);
    fit_percent float8;
    fit text;
    usable bigint;
    n bigint;
BEGIN
    lf := @extschema@.dm_pipeline_line_features(ctx);
    not_null := format('array_position(%s, NULL) IS NULL', lf.expr);
    -- The trees see at most n_trees x sample_size lines: on a big table in full mode they grow
    -- from a block sample of at least 200,000 lines (less reading); every line is still scored.
    IF ctx->>'sample_percent' IS NULL AND ctx->'mapping'->>'relkind' IN ('r', 'm', 'p')
       AND (ctx->'mapping'->>'reltuples')::float8 > 2 * fit_rows THEN
        fit_percent := round((100 * fit_rows / (ctx->'mapping'->>'reltuples')::float8)::numeric, 2);
        fit_source := @extschema@.dm_pipeline_source(jsonb_set(ctx, '{sample_percent}', to_jsonb(fit_percent)));
    END IF;
    -- The options as a literal, not a parameter: Citus ships the partial aggregate to the workers,
    -- where a parameter inside its polymorphic wrapper would have no type.
    fit := format('SELECT @extschema@.dm_iforest(%s, %L::jsonb) FILTER (WHERE %s), count(*) FROM %s', lf.expr,
                  jsonb_build_object('n_trees', o->'n_trees', 'sample_size', o->'sample_size',
                                     'seed', o->'seed', 'contamination', o->'contamination'),
                  not_null, fit_source);
    BEGIN
        EXECUTE fit INTO model, n;
    EXCEPTION WHEN SQLSTATE '22000' THEN
        -- A forest needs two lines: with fewer usable ones, say so (counted only on this path).
        EXECUTE format('SELECT count(*) FILTER (WHERE %s), count(*) FROM %s', not_null, fit_source) INTO usable, n;
        IF usable >= 2 THEN
            RAISE;
        END IF;
    END;
    IF model IS NULL THEN
        RAISE EXCEPTION 'no data: the anomaly step needs at least 2 sales lines with every feature (%) present, found %',
                        array_to_string(lf.names, ', '), COALESCE(usable, 0)
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s lines read%s; a missing, NaN, infinite or beyond 1e300 value leaves a line out', n,
                                  CASE WHEN fit_percent IS NOT NULL THEN format(' (a %s%% sample)', fit_percent) ELSE '' END);
    END IF;
    threshold := (@extschema@.dm_iforest_info(model)->>'threshold')::float8;
    INSERT INTO @extschema@.result_models (run_id, step, iforest, feature_names) VALUES (run, 'anomalies', model, lf.names);

    -- One pass, a parallel aggregate: every line scored; count, histogram, and the flagged lines.
    -- A line missing a feature (see dm_pipeline_number) gets no score: counted in the same pass.
    -- The model and threshold as literals: on Citus every aggregate of this pass is split to the
    -- workers, and parameters inside the partial aggregates would reach them without a type.
    EXECUTE format($q$
        SELECT count(score) AS lines, count(*) - count(score) AS skipped,
               count(*) FILTER (WHERE score > %4$s) AS flagged,
               @extschema@.dm_histogram(score, 20, 0, 1) AS h,
               @extschema@.dm_pipeline_collect(jsonb_build_object(
                   'line_key', line_key, 'customer_key', customer_key, 'ts', ts::timestamptz, 'amount', amount::float8,
                   'quantity', quantity::float8, 'f', f, 'score', score)) FILTER (WHERE score > %4$s) AS flagged_lines
        FROM (SELECT *, %1$s AS f FROM %2$s) AS lines
             -- In FROM, the score is computed once per line (not once per use) and in parallel.
             CROSS JOIN LATERAL @extschema@.dm_iforest_score(%5$L::@extschema@.iforest_model, CASE WHEN %3$s THEN lines.f END) AS score
        $q$, lf.expr, ctx->>'source', not_null, threshold::text || '::float8', model::text)
        INTO summary;
    INSERT INTO @extschema@.result_anomaly_summary (run_id, lines_scored, threshold, anomalies, score_histogram)
    VALUES (run, summary.lines, threshold, summary.flagged,
            jsonb_build_object('edges', to_jsonb((summary.h).edges), 'counts', to_jsonb((summary.h).counts)));
    CREATE TEMP TABLE dm_pipeline_top ON COMMIT DROP AS
    SELECT (x->>'line_key') AS line_key, (x->>'customer_key') AS customer_key, (x->>'ts')::timestamptz AS ts,
           (x->>'amount')::float8 AS amount, (x->>'quantity')::float8 AS quantity,
           ARRAY(SELECT jsonb_array_elements_text(x->'f')::float8) AS f, (x->>'score')::float8 AS score
    FROM unnest(summary.flagged_lines) AS x;
    wanted := greatest(summary.flagged, (o->>'top_lines')::bigint);
    IF summary.flagged < wanted THEN
        -- Fewer flagged lines than top_lines: one more pass for the top lines by score.
        EXECUTE format($q$
            INSERT INTO pg_temp.dm_pipeline_top
            SELECT * FROM (SELECT line_key, customer_key::text, ts::timestamptz, amount::float8, quantity::float8,
                                  f, @extschema@.dm_iforest_score($1, f) AS score
                           FROM (SELECT *, %1$s AS f FROM %2$s WHERE %3$s) AS lines) AS s
            WHERE score <= $2
            ORDER BY score DESC LIMIT $3
            $q$, lf.expr, ctx->>'source', not_null)
            USING model, threshold, wanted - summary.flagged;
    END IF;
    INSERT INTO @extschema@.result_anomalies
        (run_id, line_key, customer_key, occurred_at, amount, quantity, score, is_anomaly, anomaly_type, explanation)
    SELECT run, s.line_key, s.customer_key, s.ts::timestamptz, s.amount, s.quantity, s.score, s.score > threshold,
           e.top, e.explanation
    FROM (SELECT * FROM pg_temp.dm_pipeline_top ORDER BY score DESC LIMIT wanted) AS s,
         LATERAL (SELECT (array_agg(x.name ORDER BY x.rank))[1] AS top,
                         jsonb_agg(jsonb_build_object('feature', x.name, 'contribution', x.contribution,
                                                      'share', x.share) ORDER BY x.rank) AS explanation
                  FROM @extschema@.dm_iforest_explain(model, s.f, lf.names) AS x) AS e
    ORDER BY s.score DESC;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_anomalies;
    DROP TABLE pg_temp.dm_pipeline_top;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'lines_scored', summary.lines, 'anomalies', summary.flagged, 'threshold', threshold,
        'skipped', jsonb_build_object('lines', summary.skipped),
        'fit_sample_percent', fit_percent,
        'feature_names', to_jsonb(lf.names), 'contamination', o->'contamination',
        'n_trees', o->'n_trees', 'sample_size', o->'sample_size'));
END
$$;

