-- dmine install script, assembled from extension/parts/*.sql in name order.
\echo Use "CREATE EXTENSION dmine" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS 'dmine: data mining inside PostgreSQL';
-- Exploratory statistics: dm_stats, dm_quantiles, dm_histogram, dm_corr, dm_cov,
-- dm_approx_distinct, dm_profile.

CREATE TYPE stats AS (
    count bigint,           -- finite values
    null_count bigint,
    nan_count bigint,
    infinity_count bigint,  -- +Infinity and -Infinity
    mean float8,
    stddev float8,          -- sample (n - 1), as pandas
    variance float8,
    min float8,
    max float8,
    skewness float8,        -- adjusted Fisher-Pearson (G1), as pandas
    kurtosis float8,        -- bias-corrected excess kurtosis (G2), as pandas
    p01 float8, p05 float8, p25 float8, p50 float8, p75 float8, p95 float8, p99 float8,
    exact_quantiles boolean -- true while every value was kept (up to 10,000)
);
COMMENT ON TYPE stats IS 'Result of dm_stats(): counts, moments and quantiles of a float8 column';

CREATE TYPE histogram AS (
    edges float8[],   -- bins + 1 edges; bin i is [edges[i], edges[i+1]), the last one closed
    counts bigint[],  -- values per bin
    below bigint,     -- values under the first edge
    above bigint,     -- values over the last edge
    exact boolean     -- false when counts come from the quantile sketch
);
COMMENT ON TYPE histogram IS 'Result of dm_histogram(): equal-width bins and their counts';

-- Column summary state (moments + KLL sketch), shared by dm_stats, dm_quantiles, dm_histogram.
CREATE FUNCTION dm_summary_accum(internal, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_quantiles_accum(internal, float8, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_accum(internal, float8, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_summary_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_stats_final(internal) RETURNS stats
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_quantiles_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_final(internal) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

-- States live in the aggregate's memory context, where hash aggregation counts them against
-- work_mem; SSPACE is the planner's estimate of one group's state.
CREATE AGGREGATE dm_stats(x float8) (
    SFUNC = dm_summary_accum, STYPE = internal,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = dm_stats_final,
    COMBINEFUNC = dm_summary_combine, SERIALFUNC = dm_summary_serialize,
    DESERIALFUNC = dm_summary_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_stats(float8) IS
    'count, nulls, NaN/Infinity counts, mean, stddev, variance, min, max, skewness, kurtosis and p01..p99 of x, in one scan';

CREATE AGGREGATE dm_quantiles(x float8, probabilities float8[]) (
    SFUNC = dm_quantiles_accum, STYPE = internal,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = dm_quantiles_final,
    COMBINEFUNC = dm_summary_combine, SERIALFUNC = dm_summary_serialize,
    DESERIALFUNC = dm_summary_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_quantiles(float8, float8[]) IS
    'quantiles of x at the given probabilities (exact up to 10,000 values, then KLL sketch)';

CREATE AGGREGATE dm_histogram(x float8, bins int) (
    SFUNC = dm_histogram_accum, STYPE = internal,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = dm_histogram_final,
    COMBINEFUNC = dm_summary_combine, SERIALFUNC = dm_summary_serialize,
    DESERIALFUNC = dm_summary_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram(float8, int) IS
    'equal-width histogram of x over its observed range (exact up to 10,000 values, then from the sketch)';

-- Fixed-bounds histogram: exact counts in one pass.
CREATE FUNCTION dm_histogram_fixed_accum(internal, float8, int, float8, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_final(internal) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_histogram(x float8, bins int, lower float8, upper float8) (
    SFUNC = dm_histogram_fixed_accum, STYPE = internal,
    SSPACE = 1100, -- bytes: about 100 bins
    FINALFUNC = dm_histogram_fixed_final,
    COMBINEFUNC = dm_histogram_fixed_combine, SERIALFUNC = dm_histogram_fixed_serialize,
    DESERIALFUNC = dm_histogram_fixed_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram(float8, int, float8, float8) IS
    'equal-width histogram of x over [lower, upper], exact; values outside are counted in below/above';

CREATE FUNCTION dm_histogram_bins(h histogram)
RETURNS TABLE (bin int, lower float8, upper float8, count bigint)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT i, h.edges[i], h.edges[i + 1], h.counts[i]
    FROM generate_subscripts(h.counts, 1) AS i
    ORDER BY i
$$;
COMMENT ON FUNCTION dm_histogram_bins(histogram) IS 'one row per bin of a histogram';

-- Correlation and covariance matrices of feature vectors.
CREATE FUNCTION dm_corr_accum(internal, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_corr_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_corr_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_corr_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_corr_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_cov_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_corr(x float8[]) (
    SFUNC = dm_corr_accum, STYPE = internal,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_corr_final,
    COMBINEFUNC = dm_corr_combine, SERIALFUNC = dm_corr_serialize,
    DESERIALFUNC = dm_corr_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_corr(float8[]) IS
    'Pearson correlation matrix (float8[][]) of feature vectors; NULL entries for constant features';

CREATE AGGREGATE dm_cov(x float8[]) (
    SFUNC = dm_corr_accum, STYPE = internal,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_cov_final,
    COMBINEFUNC = dm_corr_combine, SERIALFUNC = dm_corr_serialize,
    DESERIALFUNC = dm_corr_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_cov(float8[]) IS 'sample covariance matrix (float8[][]) of feature vectors';

-- Approximate distinct count.
CREATE FUNCTION dm_distinct_accum(internal, anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_final(internal) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_approx_distinct(x anyelement) (
    SFUNC = dm_distinct_accum, STYPE = internal,
    SSPACE = 16500, -- bytes: 2^14 registers
    FINALFUNC = dm_distinct_final,
    COMBINEFUNC = dm_distinct_combine, SERIALFUNC = dm_distinct_serialize,
    DESERIALFUNC = dm_distinct_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_approx_distinct(anyelement) IS
    'HyperLogLog estimate of the number of distinct non-NULL values (standard error about 0.8%)';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'dm_summary_accum(internal, float8)', 'dm_quantiles_accum(internal, float8, float8[])',
        'dm_histogram_accum(internal, float8, int)', 'dm_summary_combine(internal, internal)',
        'dm_summary_serialize(internal)', 'dm_summary_deserialize(bytea, internal)',
        'dm_stats_final(internal)', 'dm_quantiles_final(internal)', 'dm_histogram_final(internal)',
        'dm_histogram_fixed_accum(internal, float8, int, float8, float8)',
        'dm_histogram_fixed_combine(internal, internal)', 'dm_histogram_fixed_serialize(internal)',
        'dm_histogram_fixed_deserialize(bytea, internal)', 'dm_histogram_fixed_final(internal)',
        'dm_corr_accum(internal, float8[])', 'dm_corr_combine(internal, internal)',
        'dm_corr_serialize(internal)', 'dm_corr_deserialize(bytea, internal)',
        'dm_corr_final(internal)', 'dm_cov_final(internal)',
        'dm_distinct_accum(internal, anyelement)', 'dm_distinct_combine(internal, internal)',
        'dm_distinct_serialize(internal)', 'dm_distinct_deserialize(bytea, internal)',
        'dm_distinct_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       'support function of a dmine aggregate (internal)');
    END LOOP;
END
$comments$;
-- dm_profile: one row per column of a table with counts, distinct estimate, statistics and
-- top values, from a single scan (plus one grouped scan per non-numeric column for its top values).
-- Every column type is profiled: what a type cannot give (no float8 conversion, no hash, no
-- ordering) is left NULL instead of failing.

-- The type under a domain (domains over domains included).
CREATE FUNCTION dm_base_type(typ oid) RETURNS oid
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE d(oid, base, depth) AS (
        SELECT t.oid, t.typbasetype, 0 FROM pg_type t WHERE t.oid = typ
        UNION ALL
        SELECT t.oid, t.typbasetype, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.base WHERE d.base <> 0
    )
    SELECT oid FROM d ORDER BY depth DESC LIMIT 1
$$;
COMMENT ON FUNCTION dm_base_type(oid) IS 'internal: the base type of a domain (the type itself otherwise)';

-- True when the type has a default hash operator class with an extended hash function (what
-- dm_approx_distinct and hash grouping need), directly or through a binary-coercible type.
CREATE FUNCTION dm_type_hashable(typ oid) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT FROM pg_opclass c
        JOIN pg_am am ON am.oid = c.opcmethod AND am.amname = 'hash'
        JOIN pg_amproc p ON p.amprocfamily = c.opcfamily AND p.amproclefttype = c.opcintype
                        AND p.amprocrighttype = c.opcintype AND p.amprocnum = 2
        WHERE c.opcdefault
          AND (c.opcintype = @extschema@.dm_base_type(typ)
               OR EXISTS (SELECT FROM pg_cast k WHERE k.castsource = @extschema@.dm_base_type(typ)
                          AND k.casttarget = c.opcintype AND k.castmethod = 'b')))
$$;
COMMENT ON FUNCTION dm_type_hashable(oid) IS
    'internal: whether values of the type can be hashed (dm_approx_distinct, hash grouping); others are handled as text';

-- An SQL expression converting expr (of type typ) to float8 without ever failing: numeric
-- values beyond the float8 range become ±Infinity, money goes through numeric. NULL when the
-- type is not a number with a float8 conversion.
CREATE FUNCTION dm_float8_expression(typ oid, expr text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE @extschema@.dm_base_type(typ)
        WHEN 'int2'::regtype THEN format('(%s)::float8', expr)
        WHEN 'int4'::regtype THEN format('(%s)::float8', expr)
        WHEN 'int8'::regtype THEN format('(%s)::float8', expr)
        WHEN 'float4'::regtype THEN format('(%s)::float8', expr)
        WHEN 'float8'::regtype THEN format('(%s)::float8', expr)
        WHEN 'money'::regtype THEN format('(%s)::numeric::float8', expr)
        WHEN 'numeric'::regtype THEN format(
            'CASE WHEN (%1$s)::numeric > -1.7976931348623157e308 AND (%1$s)::numeric < 1.7976931348623157e308 '
            'THEN (%1$s)::float8 WHEN (%1$s)::numeric = ''NaN'' THEN ''NaN''::float8 '
            'WHEN (%1$s)::numeric > 0 THEN ''Infinity''::float8 WHEN (%1$s)::numeric < 0 THEN ''-Infinity''::float8 END', expr)
    END
$$;
COMMENT ON FUNCTION dm_float8_expression(oid, text) IS
    'internal: SQL converting a number of the given type to float8 without error (beyond the range: ±Infinity); NULL for other types';

-- A yyyymmdd integer date key as a date; NULL when it is not a valid date.
CREATE FUNCTION dm_date_key(key bigint) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN key BETWEEN 10000101 AND 99991231 AND key / 100 % 100 BETWEEN 1 AND 12
                     AND key % 100 BETWEEN 1 AND 31
                     AND key % 100 <= extract(day FROM make_date((key / 10000)::int, (key / 100 % 100)::int, 1)
                                                       + interval '1 month' - interval '1 day')
                THEN make_date((key / 10000)::int, (key / 100 % 100)::int, (key % 100)::int) END
$$;
COMMENT ON FUNCTION dm_date_key(bigint) IS 'a yyyymmdd integer date key as a date, NULL when it is not a valid date';

-- The same as SQL over an expression (routines are never inlined: per-row calls cost).
CREATE FUNCTION dm_date_key_sql(expr text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CASE WHEN (%1$s) BETWEEN 10000101 AND 99991231 AND (%1$s) / 100 %% 100 BETWEEN 1 AND 12 '
                  'AND (%1$s) %% 100 BETWEEN 1 AND 31 AND (%1$s) %% 100 <= extract(day FROM make_date(((%1$s) / 10000)::int, '
                  '((%1$s) / 100 %% 100)::int, 1) + interval ''1 month -1 day'') '
                  'THEN make_date(((%1$s) / 10000)::int, ((%1$s) / 100 %% 100)::int, ((%1$s) %% 100)::int) END', expr)
$$;
COMMENT ON FUNCTION dm_date_key_sql(text) IS 'SQL of dm_date_key over an expression (for per-row use)';

-- The role of a column in a profile, from its type, its values and the catalog (documented in
-- docs/statistics.md), first rule that applies:
--   boolean: a boolean column; timestamp / date: a timestamp[tz] / date column, an integer column
--   whose values are all yyyymmdd dates, a text column whose values are all ISO dates (date) or
--   ISO date-times (timestamp); identifier: a single-column primary key or unique constraint, a
--   foreign-key column, a uuid, a key-like name (dm_key_like_name; a "code" with at most 50
--   distinct values is a category), or an integer or text column with every value distinct (at
--   least 20 values); category: a text or enum column with at most 100 distinct values, fewer
--   than its values; measure: any other number; text: anything else.
CREATE FUNCTION dm_column_role(type_category "char", type_name text, is_key boolean, key_like_name boolean,
                               code_name boolean, n bigint, n_distinct bigint, date_values bigint,
                               timestamp_values bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN type_category = 'B' THEN 'boolean'
        WHEN type_name IN ('timestamp without time zone', 'timestamp with time zone') THEN 'timestamp'
        WHEN type_name = 'date' THEN 'date'
        WHEN n > 0 AND date_values = n THEN 'date'
        WHEN n > 0 AND timestamp_values = n THEN 'timestamp'
        WHEN code_name AND NOT is_key AND n_distinct <= 50 THEN 'category'
        WHEN is_key OR key_like_name OR type_name = 'uuid' THEN 'identifier'
        WHEN (type_name IN ('smallint', 'integer', 'bigint') OR type_category = 'S')
             AND n >= 20 AND n_distinct >= n THEN 'identifier'
        WHEN type_category IN ('S', 'E') AND n_distinct <= 100 AND n_distinct < n THEN 'category'
        WHEN type_category = 'N' THEN 'measure'
        ELSE 'text' END
$$;
COMMENT ON FUNCTION dm_column_role("char", text, boolean, boolean, boolean, bigint, bigint, bigint, bigint) IS
    'the role of a profiled column (identifier, category, date, timestamp, measure, text, boolean) from its type, key constraints, name and values';

CREATE FUNCTION dm_profile(rel regclass, sample_percent float8 DEFAULT NULL, top_n int DEFAULT 5)
RETURNS TABLE (
    column_name name,
    ordinal int,
    data_type text,
    kind text,                 -- numeric, text, temporal, boolean or other
    row_count bigint,          -- rows examined (the sample's rows in quick mode)
    null_count bigint,
    null_fraction float8,
    distinct_estimate bigint,  -- HyperLogLog estimate, about 0.8% standard error
    mean float8,
    stddev float8,
    p25 float8,
    p50 float8,
    p75 float8,
    min_value text,
    max_value text,
    stats @extschema@.stats,   -- every dm_stats figure, numeric columns only
    top_values jsonb,          -- [{"value": ..., "count": ...}], most frequent first; categories, texts, booleans
    role text,                 -- identifier, category, date, timestamp, measure, text or boolean (dm_column_role)
    distinct_exact boolean,    -- distinct_estimate is exact (an estimate up to 10000 is recounted exactly)
    uniqueness float8          -- distinct values / non-null values
)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source text;
    col record;
    parts text[] := '{}';
    chunks text[] := '{}';
    summary jsonb;
    item jsonb;
    total bigint;
    i int := 0;
    exact_cols text[] := '{}';
    exact_names text[] := '{}';
    exact jsonb := '{}';
    keys text[];
    is_date_key boolean;
BEGIN
    IF sample_percent IS NOT NULL AND NOT (sample_percent > 0 AND sample_percent <= 100) THEN
        RAISE EXCEPTION 'sample_percent must be in (0, 100], got %', sample_percent
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF top_n IS NULL OR top_n < 0 OR top_n > 1000 THEN
        RAISE EXCEPTION 'top_n must be between 0 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    source := rel::text;
    IF sample_percent IS NOT NULL AND sample_percent < 100 THEN
        source := format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (42)', rel::text, sample_percent);
    END IF;

    -- One aggregate expression per column, gathered in a single scan. Distinct values by the
    -- type's hash, else by their text; statistics of numbers with a float8 conversion; min and
    -- max of numbers, texts and dates/times; counts only for the rest.
    FOR col IN
        SELECT a.attname, a.attnum, t.typcategory AS category,
               @extschema@.dm_float8_expression(a.atttypid, quote_ident(a.attname)) AS number,
               @extschema@.dm_type_hashable(a.atttypid) AS hashable, @extschema@.dm_base_type(a.atttypid) AS base
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        i := i + 1;
        parts := parts || (format(
            'jsonb_build_object(''n'', count(%1$I), ''nd'', @extschema@.dm_approx_distinct(%2$s), %3$s, %4$s)',
            col.attname,
            CASE WHEN col.category IN ('N', 'D', 'S', 'B') AND col.hashable
                 THEN quote_ident(col.attname) ELSE quote_ident(col.attname) || '::text' END,
            CASE WHEN col.number IS NOT NULL
                 THEN format('''stats'', to_jsonb(@extschema@.dm_stats(%s))', col.number)
                 ELSE '''stats'', NULL::jsonb' END,
            CASE WHEN col.category IN ('N', 'D', 'S')
                 THEN format('''min'', to_jsonb(min(%1$I)) #>> ''{}'', ''max'', to_jsonb(max(%1$I)) #>> ''{}''', col.attname)
                 ELSE '''min'', NULL::text, ''max'', NULL::text' END)
            -- Values that read as dates: yyyymmdd integers, ISO text dates and date-times.
            || CASE WHEN col.base IN ('int4'::regtype, 'int8'::regtype)
                    THEN format(' || jsonb_build_object(''dk'', count(*) FILTER (WHERE %s IS NOT NULL))',
                                @extschema@.dm_date_key_sql(quote_ident(col.attname)))
                    WHEN col.category = 'S'
                    THEN format(' || jsonb_build_object(''dk'', count(*) FILTER (WHERE %1$I::text ~ ''^\d{4}-?\d{2}-?\d{2}$''),'
                                ' ''tk'', count(*) FILTER (WHERE %1$I::text ~ ''^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}''))', col.attname)
                    ELSE '' END);
        -- jsonb_build_array takes at most 100 arguments: build chunks of 50 columns.
        IF cardinality(parts) = 50 THEN
            chunks := chunks || format('jsonb_build_array(%s)', array_to_string(parts, ', '));
            parts := '{}';
        END IF;
    END LOOP;
    IF cardinality(parts) > 0 THEN
        chunks := chunks || format('jsonb_build_array(%s)', array_to_string(parts, ', '));
    END IF;
    IF i = 0 THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT jsonb_build_object(''rows'', count(*), ''columns'', %s) FROM %s',
                   array_to_string(chunks, ' || '), source)
        INTO summary;
    total := (summary->>'rows')::bigint;

    -- Distinct counts estimated at most 10000: counted exactly, all such columns in one grouped scan.
    i := 0;
    FOR col IN
        SELECT a.attname, @extschema@.dm_type_hashable(a.atttypid) AS hashable
        FROM pg_attribute a
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := summary->'columns'->i;
        i := i + 1;
        IF (item->>'nd')::bigint <= 10000 AND (item->>'n')::bigint > 0 THEN
            exact_cols := exact_cols || CASE WHEN col.hashable THEN quote_ident(col.attname)
                                             ELSE quote_ident(col.attname) || '::text' END;
            exact_names := exact_names || col.attname::text;
        END IF;
    END LOOP;
    IF cardinality(exact_cols) > 0 THEN
        EXECUTE format('SELECT jsonb_object_agg(($1)[s], n) FROM (SELECT s, count(*) FILTER (WHERE NOT is_null) AS n FROM (
                            SELECT array_position(ARRAY[%1$s], 0) AS s, (ARRAY[%2$s])[array_position(ARRAY[%1$s], 0)] AS is_null
                            FROM %3$s GROUP BY GROUPING SETS (%4$s)) g GROUP BY s) c',
                       (SELECT string_agg(format('GROUPING(%s)', e), ', ') FROM unnest(exact_cols) AS e),
                       (SELECT string_agg(format('(%s) IS NULL', e), ', ') FROM unnest(exact_cols) AS e),
                       source,
                       (SELECT string_agg(format('(%s)', e), ', ') FROM unnest(exact_cols) AS e))
            INTO exact USING exact_names;
    END IF;
    -- Columns that are keys: single-column primary keys and unique constraints, foreign keys.
    keys := ARRAY(SELECT DISTINCT a.attname::text FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                  WHERE c.conrelid = rel AND (c.contype = 'f' OR (c.contype IN ('p', 'u') AND cardinality(c.conkey) = 1)));

    i := 0;
    FOR col IN
        SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS type_name,
               t.typcategory AS category, format_type(@extschema@.dm_base_type(a.atttypid), NULL) AS base_name
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := summary->'columns'->i;
        i := i + 1;
        column_name := col.attname;
        ordinal := col.attnum;
        data_type := col.type_name;
        kind := CASE col.category WHEN 'N' THEN 'numeric' WHEN 'S' THEN 'text'
                    WHEN 'D' THEN 'temporal' WHEN 'B' THEN 'boolean' ELSE 'other' END;
        row_count := total;
        null_count := total - (item->>'n')::bigint;
        null_fraction := CASE WHEN total > 0 THEN null_count::float8 / total END;
        distinct_exact := COALESCE(exact ? col.attname, false) OR (item->>'n')::bigint = 0;
        distinct_estimate := CASE WHEN distinct_exact THEN COALESCE((exact->>col.attname)::bigint, 0)
                                  ELSE LEAST((item->>'nd')::bigint, (item->>'n')::bigint) END;
        uniqueness := CASE WHEN (item->>'n')::bigint > 0 THEN distinct_estimate::float8 / (item->>'n')::bigint END;
        role := @extschema@.dm_column_role(col.category, col.base_name, col.attname = ANY (keys),
                                           @extschema@.dm_key_like_name(col.attname),
                                           col.attname ~* '(^|[^a-z])code([^a-z]|$)',
                                           (item->>'n')::bigint, distinct_estimate,
                                           (item->>'dk')::bigint, (item->>'tk')::bigint);
        is_date_key := role = 'date' AND col.category = 'N';
        stats := CASE WHEN item->'stats' IS NOT NULL AND jsonb_typeof(item->'stats') = 'object'
                      THEN jsonb_populate_record(NULL::@extschema@.stats, item->'stats') END;
        mean := stats.mean;
        stddev := stats.stddev;
        p25 := stats.p25;
        p50 := stats.p50;
        p75 := stats.p75;
        min_value := COALESCE(item->>'min', stats.min::text);
        max_value := COALESCE(item->>'max', stats.max::text);
        IF is_date_key THEN
            min_value := @extschema@.dm_date_key(min_value::bigint)::text;
            max_value := @extschema@.dm_date_key(max_value::bigint)::text;
        END IF;
        IF role IN ('identifier', 'date', 'timestamp') THEN
            -- Keys and dates: counts and range, no moments.
            stats := NULL; mean := NULL; stddev := NULL; p25 := NULL; p50 := NULL; p75 := NULL;
        END IF;
        top_values := NULL;
        IF role IN ('category', 'text', 'boolean') AND top_n > 0 THEN
            -- Values keep their JSON type (ISO dates, booleans); other types group by their text.
            EXECUTE format(
                'SELECT jsonb_agg(jsonb_build_object(''value'', to_jsonb(v), ''count'', c) ORDER BY c DESC, o)
                 FROM (SELECT %1$s AS v, count(*) AS c, min(%1$s::text) AS o FROM %2$s WHERE %3$I IS NOT NULL
                       GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT %4$s) AS top',
                CASE WHEN col.category IN ('S', 'D', 'B') THEN quote_ident(col.attname)
                     ELSE quote_ident(col.attname) || '::text' END,
                source, col.attname, top_n)
                INTO top_values;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION dm_profile(regclass, float8, int) IS
    'column profile of a table: type, role, counts, nulls, distinct count (exact up to 10000), uniqueness, statistics of measures, min/max and top values of categories; sample_percent for a quick look';
-- Sales over time on any fact table or view: series per day, week and month with empty periods
-- filled, a robust trend, seasonality indices with their strength, a weekday x hour heatmap and
-- period-over-period growth. Each function reads the fact table once (dm_trends: once for all).

-- Seasonal decomposition of a regular series (C++ kernel src/kernels/trends/decompose.cpp).
CREATE FUNCTION dm_decompose(series float8[], period int, first_position int DEFAULT 1,
                             OUT trend float8[], OUT seasonal_index float8[],
                             OUT strength float8, OUT slope float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dm_decompose' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_decompose(float8[], int, int) IS
    'multiplicative seasonal decomposition of consecutive values (first at season position first_position of period): trend (centred moving average over one season of the seasonally adjusted series), seasonal indices (median detrended ratio, mean 1), strength F_s = max(0, 1 - Var(R)/Var(S+R)), Theil-Sen slope per step';

-- A user-named column of rel, checked by dm_mapping_column (kinds 'any', 'numeric', 'integer',
-- 'time'), as a type.
CREATE FUNCTION dm_explore_column(rel regclass, column_name text, role text, kind text DEFAULT 'any')
RETURNS regtype
LANGUAGE plpgsql STABLE  -- not sql: dm_mapping_column is created later in the install script
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN @extschema@.dm_mapping_column(rel, column_name, role, kind)::regtype; END $$;
COMMENT ON FUNCTION dm_explore_column(regclass, text, text, text) IS
    'checks that a column named by the user exists in rel (42703 otherwise) and has the kind of type needed (42804 otherwise): any, numeric, integer, or time (date, timestamp[tz], integer or text yyyymmdd key)';

-- SQL expressions (day date, hour int) of a time column: dates as is, timestamps truncated,
-- integer keys read as yyyymmdd, text as a date or timestamp literal (yyyymmdd or ISO).
-- hour is NULL for dates and date keys unless hour_column names an integer hour column.
CREATE FUNCTION dm_time_expressions(rel regclass, time_column text, hour_column text DEFAULT NULL,
                                    alias text DEFAULT NULL, OUT day_sql text, OUT hour_sql text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regtype := @extschema@.dm_explore_column(rel, time_column, 'time column', 'time');
    c text := CASE WHEN alias IS NULL THEN format('%I', time_column) ELSE format('%I.%I', alias, time_column) END;
BEGIN
    IF t IN ('timestamp'::regtype, 'timestamptz'::regtype) THEN
        day_sql := format('%s::date', c);
        hour_sql := format('extract(hour FROM %s)::int', c);
    ELSIF t = 'date'::regtype THEN
        day_sql := c;
    ELSIF t IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype) THEN
        day_sql := format('(%s)::timestamp::date', c);
        hour_sql := format('extract(hour FROM (%s)::timestamp)::int', c);
    ELSE  -- an integer yyyymmdd key
        day_sql := format('make_date((%1$s::int8 / 10000)::int, (%1$s::int8 / 100 %% 100)::int, (%1$s::int8 %% 100)::int)', c);
    END IF;
    IF hour_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, hour_column, 'hour column', 'integer');
        hour_sql := CASE WHEN alias IS NULL THEN format('%I::int', hour_column)
                         ELSE format('%I.%I::int', alias, hour_column) END;
    END IF;
END
$$;
COMMENT ON FUNCTION dm_time_expressions(regclass, text, text, text) IS
    'SQL expressions of the day and hour of a time column (date, timestamp[tz], integer or text yyyymmdd key; hour from hour_column when given), columns qualified by alias when given';

-- The one read of the fact table shared by the trends functions: a query of rows (day, hour,
-- order_key, customer_key, revenue, lines, quantity) grouped at that grain. Checks every column.
CREATE FUNCTION dm_sales_base_sql(rel regclass, time_column text, amount_column text,
                                  order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                                  quantity_column text DEFAULT NULL, hour_column text DEFAULT NULL,
                                  with_hour boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record := @extschema@.dm_time_expressions(rel, time_column, hour_column);
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'no fact table given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.dm_explore_column(rel, amount_column, 'amount', 'numeric');
    IF order_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, order_column, 'order key');
    END IF;
    IF customer_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, customer_column, 'customer key');
    END IF;
    IF quantity_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, quantity_column, 'quantity', 'numeric');
    END IF;
    IF with_hour AND e.hour_sql IS NULL THEN
        RAISE EXCEPTION 'time column "%" of % has no time of day', time_column, rel
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use a timestamp column, or give hour_column (an integer hour 0..23).';
    END IF;
    RETURN format(
        'SELECT %s AS day, %s AS hour, %s AS order_key, %s AS customer_key, '
        'sum(%I)::float8 AS revenue, count(*) AS lines, %s AS quantity '
        'FROM %s WHERE %I IS NOT NULL GROUP BY 1, 2, 3, 4',
        e.day_sql, CASE WHEN with_hour THEN e.hour_sql ELSE 'NULL::int' END,
        CASE WHEN order_column IS NULL THEN 'NULL::int' ELSE format('%I', order_column) END,
        CASE WHEN customer_column IS NULL THEN 'NULL::int' ELSE format('%I', customer_column) END,
        amount_column,
        CASE WHEN quantity_column IS NULL THEN 'NULL::float8' ELSE format('sum(%I)::float8', quantity_column) END,
        rel, time_column);
END
$$;
COMMENT ON FUNCTION dm_sales_base_sql(regclass, text, text, text, text, text, text, boolean) IS
    'the grouped query (day, hour, order_key, customer_key, revenue, lines, quantity) that the trends functions read the fact table with; checks every column';

-- Per grain: the season used for its trend (period, and a season position of a period start).
CREATE FUNCTION dm_grain_season(grain text, period_start date, OUT period int, OUT season_position int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE grain WHEN 'day' THEN 7 WHEN 'week' THEN 52 ELSE 12 END,
           CASE grain WHEN 'day' THEN extract(isodow FROM period_start)::int
                      WHEN 'week' THEN least(extract(week FROM period_start)::int, 52)
                      ELSE extract(month FROM period_start)::int END
$$;
COMMENT ON FUNCTION dm_grain_season(text, date) IS
    'the season of a grain for its trend: day -> week (7, ISO weekday), week -> year (52, ISO week capped at 52), month -> year (12, month)';

-- The series query over a relation named base (rows of dm_sales_base_sql) for grains $1.
CREATE FUNCTION dm_sales_series_sql(has_orders boolean, has_customers boolean, has_quantity boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format($q$
    WITH bounds AS (SELECT min(day) AS lo, max(day) AS hi FROM base),
    periods AS (
        SELECT g AS grain, p::date AS period_start,
               (least(b.hi, (p + ('1 ' || g)::interval)::date - 1) - greatest(b.lo, p::date) + 1)::int AS days
        FROM unnest($1::text[]) AS g, bounds b,
             generate_series(date_trunc(g, b.lo::timestamp), b.hi::timestamp, ('1 ' || g)::interval) AS p
        WHERE b.lo IS NOT NULL
    ), agg AS (
        SELECT g AS grain, date_trunc(g, b.day::timestamp)::date AS period_start, sum(b.revenue) AS revenue,
               sum(b.lines)::bigint AS lines, %1$s AS orders, %2$s AS customers, %3$s AS quantity
        FROM base b, unnest($1::text[]) AS g GROUP BY 1, 2
    ), filled AS (
        SELECT p.grain, p.period_start, p.days, COALESCE(a.revenue, 0) AS revenue, COALESCE(a.lines, 0) AS lines,
               %4$s AS orders, %5$s AS customers, %6$s AS quantity,
               row_number() OVER (PARTITION BY p.grain ORDER BY p.period_start) AS i
        FROM periods p LEFT JOIN agg a USING (grain, period_start)
    ), fits AS (
        SELECT f.grain, (@extschema@.dm_decompose(array_agg(f.revenue / f.days ORDER BY f.period_start),
                                                  min(s.period), (array_agg(s.season_position ORDER BY f.period_start))[1])).trend
        FROM filled f, LATERAL @extschema@.dm_grain_season(f.grain, f.period_start) s GROUP BY f.grain
    )
    SELECT f.grain AS period_grain, f.period_start, f.days, f.revenue, f.lines, f.orders, f.customers, f.quantity,
           x.trend[f.i] * f.days AS trend,
           f.revenue / f.days / NULLIF(lag(f.revenue / f.days) OVER w, 0) - 1 AS growth_prev,
           f.revenue / f.days / NULLIF(y.revenue / y.days, 0) - 1 AS growth_year
    FROM filled f JOIN fits x USING (grain)
         LEFT JOIN filled y ON y.grain = f.grain
                           AND y.period_start = CASE f.grain WHEN 'month' THEN (f.period_start - interval '1 year')::date
                                                             ELSE f.period_start - 364 END
    WINDOW w AS (PARTITION BY f.grain ORDER BY f.period_start)
    $q$,
    CASE WHEN has_orders THEN 'count(DISTINCT b.order_key)' ELSE 'NULL::bigint' END,
    CASE WHEN has_customers THEN 'count(DISTINCT b.customer_key)' ELSE 'NULL::bigint' END,
    CASE WHEN has_quantity THEN 'sum(b.quantity)' ELSE 'NULL::float8' END,
    CASE WHEN has_orders THEN 'COALESCE(a.orders, 0)' ELSE 'NULL::bigint' END,
    CASE WHEN has_customers THEN 'COALESCE(a.customers, 0)' ELSE 'NULL::bigint' END,
    CASE WHEN has_quantity THEN 'COALESCE(a.quantity, 0)' ELSE 'NULL::float8' END)
$$;
COMMENT ON FUNCTION dm_sales_series_sql(boolean, boolean, boolean) IS
    'the query of dm_sales_series over a relation named base (rows of dm_sales_base_sql), grains as parameter $1';

-- The grains asked for: 'day', 'week', 'month', or 'all' (the three).
CREATE FUNCTION dm_trend_grains(grain text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF grain IS NULL OR grain NOT IN ('day', 'week', 'month', 'all') THEN
        RAISE EXCEPTION 'unknown grain "%"', grain
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''day'', ''week'', ''month'' or ''all''.';
    END IF;
    RETURN CASE grain WHEN 'all' THEN ARRAY['day', 'week', 'month'] ELSE ARRAY[grain] END;
END
$$;
COMMENT ON FUNCTION dm_trend_grains(text) IS 'the grains of a grain argument (day, week, month, or all); 22023 otherwise';

-- Revenue, lines, orders, customers and quantity per period, empty periods as 0, with the trend
-- and growth on the previous period and on the same period a year before.
CREATE FUNCTION dm_sales_series(rel regclass, time_column text, amount_column text, grain text DEFAULT 'month',
                                order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                                quantity_column text DEFAULT NULL)
RETURNS TABLE (period_grain text, period_start date, days int, revenue float8, lines bigint, orders bigint,
               customers bigint, quantity float8, trend float8, growth_prev float8, growth_year float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    grains text[] := @extschema@.dm_trend_grains(grain);
    base text := @extschema@.dm_sales_base_sql(rel, time_column, amount_column, order_column, customer_column,
                                               quantity_column);
BEGIN
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT * FROM (%s) s ORDER BY 1, 2', base,
                                @extschema@.dm_sales_series_sql(order_column IS NOT NULL, customer_column IS NOT NULL,
                                                                quantity_column IS NOT NULL))
    USING grains;
END
$$;
COMMENT ON FUNCTION dm_sales_series(regclass, text, text, text, text, text, text) IS
    'sales per day, week or month (or all three): revenue, lines, orders, customers, quantity, empty periods as 0; trend from dm_decompose; growth of the daily average on the previous period and on the period a year before';

-- The seasonality query over a relation named base: per measure, weekday indices from the daily
-- series, then monthly indices from the monthly level per trading day (sum / sum of weekday
-- indices of its days), so that month lengths and partial months do not count as seasonality.
CREATE FUNCTION dm_seasonality_sql(measures text[], has_orders boolean, has_customers boolean,
                                   has_quantity boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    available text[] := ARRAY['revenue', 'lines'] || CASE WHEN has_orders THEN ARRAY['orders'] ELSE '{}' END
                        || CASE WHEN has_customers THEN ARRAY['customers'] ELSE '{}' END
                        || CASE WHEN has_quantity THEN ARRAY['quantity'] ELSE '{}' END;
    m text;
BEGIN
    FOREACH m IN ARRAY measures LOOP
        IF NOT m = ANY (available) THEN
            RAISE EXCEPTION 'measure "%" is not available', m
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Available with the columns given: %s (orders needs order_column, customers customer_column, quantity quantity_column).',
                                    array_to_string(available, ', '));
        END IF;
    END LOOP;
    RETURN format($q$
    WITH bounds AS (SELECT min(day) AS lo, max(day) AS hi FROM base),
    daily AS (
        SELECT b.day, sum(b.revenue) AS revenue, sum(b.lines)::float8 AS lines, %1$s AS orders,
               %2$s AS customers, %3$s AS quantity
        FROM base b GROUP BY 1
    ), values_ AS (
        SELECT m.measure, d::date AS day, COALESCE(v.value, 0) AS value
        FROM bounds b, generate_series(b.lo::timestamp, b.hi::timestamp, interval '1 day') AS d
             CROSS JOIN unnest(%4$L::text[]) AS m(measure)
             LEFT JOIN (SELECT x.day, u.measure, u.value FROM daily x,
                        LATERAL (VALUES ('revenue', x.revenue), ('lines', x.lines), ('orders', x.orders),
                                        ('customers', x.customers), ('quantity', x.quantity)) AS u(measure, value)) v
                    ON v.day = d::date AND v.measure = m.measure
        WHERE b.lo IS NOT NULL
    ), weekly AS (
        SELECT v.measure, @extschema@.dm_decompose(array_agg(v.value ORDER BY v.day), 7,
                                                   extract(isodow FROM min(v.day))::int) AS fit
        FROM values_ v GROUP BY 1
    ), monthly_level AS (
        SELECT v.measure, date_trunc('month', v.day)::date AS month,
               sum(v.value) / NULLIF(sum(COALESCE((w.fit).seasonal_index[extract(isodow FROM v.day)::int], 1)), 0) AS level
        FROM values_ v JOIN weekly w USING (measure) GROUP BY 1, 2
    ), monthly AS (
        SELECT l.measure, @extschema@.dm_decompose(array_agg(COALESCE(l.level, 0) ORDER BY l.month), 12,
                                                   extract(month FROM min(l.month))::int) AS fit
        FROM monthly_level l GROUP BY 1
    )
    SELECT w.measure, 'weekday'::text AS cycle, k AS position, trim(to_char(date '2024-01-07' + k, 'Day')) AS label,
           (w.fit).seasonal_index[k] AS seasonal_index, (w.fit).strength AS strength,
           (SELECT count(*) FROM values_ v WHERE v.measure = w.measure AND extract(isodow FROM v.day) = k)::int AS observations
    FROM weekly w, generate_series(1, 7) AS k
    UNION ALL
    SELECT m.measure, 'month', k, trim(to_char(make_date(2024, k, 1), 'Month')),
           (m.fit).seasonal_index[k], (m.fit).strength,
           (SELECT count(*) FROM monthly_level l WHERE l.measure = m.measure AND extract(month FROM l.month) = k)::int
    FROM monthly m, generate_series(1, 12) AS k
    $q$,
    CASE WHEN has_orders THEN 'count(DISTINCT b.order_key)::float8' ELSE 'NULL::float8' END,
    CASE WHEN has_customers THEN 'count(DISTINCT b.customer_key)::float8' ELSE 'NULL::float8' END,
    CASE WHEN has_quantity THEN 'sum(b.quantity)' ELSE 'NULL::float8' END,
    measures);
END
$$;
COMMENT ON FUNCTION dm_seasonality_sql(text[], boolean, boolean, boolean) IS
    'the query of dm_seasonality over a relation named base (rows of dm_sales_base_sql); checks the measures';

-- Weekday and monthly seasonality indices (mean 1) of a measure and the strength of each season.
CREATE FUNCTION dm_seasonality(rel regclass, time_column text, amount_column text, measure text DEFAULT 'revenue',
                               order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                               quantity_column text DEFAULT NULL)
RETURNS TABLE (cycle text, "position" int, label text, seasonal_index float8, strength float8,
               observations int)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    query text := @extschema@.dm_seasonality_sql(ARRAY[measure], order_column IS NOT NULL,
                                                 customer_column IS NOT NULL, quantity_column IS NOT NULL);
BEGIN
    IF measure IS NULL THEN
        RAISE EXCEPTION 'no measure given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT cycle, position, label, seasonal_index, strength, observations FROM (%s) s ORDER BY 1 DESC, 2',
        @extschema@.dm_sales_base_sql(rel, time_column, amount_column, order_column, customer_column, quantity_column),
        query);
END
$$;
COMMENT ON FUNCTION dm_seasonality(regclass, text, text, text, text, text, text) IS
    'weekday (ISO 1 = Monday) and monthly seasonality indices (mean 1) of a measure (revenue, lines, orders, customers, quantity), with Hyndman''s strength F_s per cycle (NULL below two full cycles)';

-- The heatmap query over a relation named base (rows with an hour): every weekday x hour cell.
CREATE FUNCTION dm_heatmap_sql(has_orders boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format($q$
    WITH cells AS (
        SELECT extract(isodow FROM b.day)::int AS isodow, b.hour, sum(b.revenue) AS revenue,
               sum(b.lines)::bigint AS lines, %s AS orders
        FROM base b WHERE b.hour IS NOT NULL GROUP BY 1, 2
    )
    SELECT d AS isodow, trim(to_char(date '2024-01-07' + d, 'Day')) AS day_name, h AS hour,
           COALESCE(c.revenue, 0) AS revenue, COALESCE(c.lines, 0) AS lines, %s AS orders,
           COALESCE(c.revenue, 0) / NULLIF(sum(c.revenue) OVER (), 0) AS revenue_share
    FROM generate_series(1, 7) AS d CROSS JOIN generate_series(0, 23) AS h
         LEFT JOIN cells c ON c.isodow = d AND c.hour = h
    WHERE EXISTS (SELECT 1 FROM cells)
    $q$,
    CASE WHEN has_orders THEN 'count(DISTINCT b.order_key)' ELSE 'NULL::bigint' END,
    CASE WHEN has_orders THEN 'COALESCE(c.orders, 0)' ELSE 'NULL::bigint' END)
$$;
COMMENT ON FUNCTION dm_heatmap_sql(boolean) IS
    'the query of dm_sales_heatmap over a relation named base (rows of dm_sales_base_sql with hours)';

-- Revenue, lines and orders per ISO weekday x hour of day (7 x 24 cells, empty ones as 0).
CREATE FUNCTION dm_sales_heatmap(rel regclass, time_column text, amount_column text,
                                 order_column text DEFAULT NULL, hour_column text DEFAULT NULL)
RETURNS TABLE (isodow int, day_name text, hour int, revenue float8, lines bigint, orders bigint,
               revenue_share float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
BEGIN
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT * FROM (%s) s ORDER BY 1, 3',
        @extschema@.dm_sales_base_sql(rel, time_column, amount_column, order_column, NULL, NULL, hour_column, true),
        @extschema@.dm_heatmap_sql(order_column IS NOT NULL));
END
$$;
COMMENT ON FUNCTION dm_sales_heatmap(regclass, text, text, text, text) IS
    'revenue, lines, orders and revenue share per ISO weekday (1 = Monday) x hour (0..23), all 168 cells; the hour comes from a timestamp time column or from hour_column';

-- The whole trends analysis in one read of the fact table, as jsonb: series (every grain),
-- seasonality (every available measure) and heatmap (when an hour is known).
CREATE FUNCTION dm_trends(rel regclass, time_column text, amount_column text, order_column text DEFAULT NULL,
                          customer_column text DEFAULT NULL, quantity_column text DEFAULT NULL,
                          hour_column text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    e record := @extschema@.dm_time_expressions(rel, time_column, hour_column);
    has_hour boolean := e.hour_sql IS NOT NULL;
    measures text[] := ARRAY['revenue', 'lines']
                       || CASE WHEN order_column IS NOT NULL THEN ARRAY['orders'] ELSE '{}' END
                       || CASE WHEN customer_column IS NOT NULL THEN ARRAY['customers'] ELSE '{}' END
                       || CASE WHEN quantity_column IS NOT NULL THEN ARRAY['quantity'] ELSE '{}' END;
    result jsonb;
BEGIN
    EXECUTE format($q$
        WITH base AS MATERIALIZED (%s),
        series AS (%s), seasonality AS (%s), heatmap AS (%s)
        SELECT jsonb_build_object(
            'series', COALESCE((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.period_grain, s.period_start) FROM series s), '[]'),
            'seasonality', COALESCE((SELECT jsonb_agg(to_jsonb(z) ORDER BY z.measure, z.cycle DESC, z.position)
                                     FROM seasonality z), '[]'),
            'heatmap', COALESCE((SELECT jsonb_agg(to_jsonb(h) ORDER BY h.isodow, h.hour) FROM heatmap h), '[]'))
        $q$,
        @extschema@.dm_sales_base_sql(rel, time_column, amount_column, order_column, customer_column,
                                      quantity_column, hour_column, has_hour),
        @extschema@.dm_sales_series_sql(order_column IS NOT NULL, customer_column IS NOT NULL, quantity_column IS NOT NULL),
        @extschema@.dm_seasonality_sql(measures, order_column IS NOT NULL, customer_column IS NOT NULL,
                                       quantity_column IS NOT NULL),
        CASE WHEN has_hour THEN @extschema@.dm_heatmap_sql(order_column IS NOT NULL)
             ELSE 'SELECT NULL::int AS isodow, NULL::int AS hour WHERE false' END)
    INTO result USING ARRAY['day', 'week', 'month'];
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_trends(regclass, text, text, text, text, text, text) IS
    'the whole trends analysis in one read of the fact table: jsonb {series: dm_sales_series rows of every grain, seasonality: dm_seasonality rows of every available measure, heatmap: dm_sales_heatmap rows (empty without an hour)}';
-- Breakdowns by dimension on any fact table or view: revenue, lines, customers, share, growth over
-- the last period and ABC class per value of a fact column or of a dimension attribute (joined in
-- the same scan); Pareto rank and cumulative share; concentration (Gini, share of the top 20%).
--
-- ABC rule: values sorted by revenue (descending, ties by value); a value is A while the revenue
-- of the values before it is below 80% of the total (so A = the values that make the first 80%,
-- including the one that crosses 80%), B while below 95%, C after.

-- Gini coefficient of non-negative amounts: 0 = all equal, (n - 1) / n = one holds everything.
-- NULL for no value or a total <= 0; NULL elements are ignored.
CREATE FUNCTION dm_gini(amounts float8[]) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN count(x) = 0 OR sum(x) <= 0 THEN NULL
                ELSE 2 * sum(i * x) / (count(x) * sum(x)) - (count(x) + 1)::float8 / count(x) END
    FROM (SELECT x, row_number() OVER (ORDER BY x) AS i FROM unnest(amounts) AS x WHERE x IS NOT NULL) s
$$;
COMMENT ON FUNCTION dm_gini(float8[]) IS
    'Gini coefficient of amounts: 2 sum(i x_(i)) / (n sum x) - (n + 1) / n over the ascending order; NULL when empty or the total is <= 0';

-- Share of the total held by the largest ceil(fraction x n) amounts (fraction 0.2: the top 20%).
CREATE FUNCTION dm_top_share(amounts float8[], fraction float8 DEFAULT 0.2) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result float8;
BEGIN
    IF fraction IS NULL OR NOT (fraction > 0 AND fraction <= 1) THEN
        RAISE EXCEPTION 'fraction must be in (0, 1], got %', fraction USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT sum(x) FILTER (WHERE r <= ceil(fraction * n)) / NULLIF(sum(x), 0) INTO result
    FROM (SELECT x, row_number() OVER (ORDER BY x DESC) AS r, count(*) OVER () AS n
          FROM unnest(amounts) AS x WHERE x IS NOT NULL) s;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_top_share(float8[], float8) IS
    'share of the total held by the largest ceil(fraction x n) amounts (default the top 20%); NULL when the total is 0';

-- One breakdown spec of dm_breakdowns, checked: the SQL expression of its value (over fact alias f
-- and dimension alias d<i>), the join clause, and its dimension and attribute names.
CREATE FUNCTION dm_breakdown_spec(rel regclass, spec jsonb, i int, OUT value_sql text, OUT join_sql text,
                                  OUT dimension text, OUT attribute text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col text := spec ->> 'column';
    tab text := spec ->> 'table';
    dim regclass;
    key text;
    fact_type regtype;
    key_type regtype;
    alias text := 'd' || i;
BEGIN
    IF jsonb_typeof(spec) IS DISTINCT FROM 'object' OR col IS NULL THEN
        RAISE EXCEPTION 'breakdown % must be an object with a "column" (and optionally "table", "key", "attribute", "name")', i
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    fact_type := @extschema@.dm_explore_column(rel, col, 'breakdown column');
    IF tab IS NULL THEN
        IF spec ? 'attribute' OR spec ? 'key' THEN
            RAISE EXCEPTION 'breakdown % gives a key or attribute but no dimension "table"', i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        value_sql := format('f.%I', col);
        join_sql := '';
        dimension := COALESCE(spec ->> 'name', col);
        attribute := col;
        RETURN;
    END IF;
    dim := to_regclass(tab);
    IF dim IS NULL THEN
        RAISE EXCEPTION 'dimension table "%" does not exist', tab
            USING ERRCODE = 'undefined_table', HINT = 'Give it as in SQL, schema-qualified.';
    END IF;
    key := COALESCE(spec ->> 'key', col);
    attribute := spec ->> 'attribute';
    IF attribute IS NULL THEN
        RAISE EXCEPTION 'breakdown % joins % but names no "attribute" to break down by', i, dim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    key_type := @extschema@.dm_explore_column(dim, key, 'dimension key');
    PERFORM @extschema@.dm_explore_column(dim, attribute, 'dimension attribute');
    value_sql := format('%s.%I', alias, attribute);
    -- Keys of different type categories (int vs text) are compared as text.
    IF (SELECT typcategory FROM pg_type WHERE oid = fact_type) = (SELECT typcategory FROM pg_type WHERE oid = key_type) THEN
        join_sql := format(' LEFT JOIN %s %s ON %2$s.%I = f.%I', dim, alias, key, col);
    ELSE
        join_sql := format(' LEFT JOIN %s %s ON %2$s.%I::text = f.%I::text', dim, alias, key, col);
    END IF;
    dimension := COALESCE(spec ->> 'name', (SELECT relname FROM pg_class WHERE oid = dim));
END
$$;
COMMENT ON FUNCTION dm_breakdown_spec(regclass, jsonb, int) IS
    'checks one breakdown of dm_breakdowns ({column} or {column, table, key, attribute, name}) and returns its value expression, join, dimension and attribute names';

-- Every breakdown in one scan of the fact table (dimensions joined in the same scan).
CREATE FUNCTION dm_breakdowns(rel regclass, amount_column text, breakdowns jsonb, time_column text DEFAULT NULL,
                              customer_column text DEFAULT NULL, growth_period text DEFAULT 'month')
RETURNS TABLE (dimension text, attribute text, value text, revenue float8, lines bigint, customers bigint,
               share float8, cumulative_share float8, "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- compiling the wide query costs more than it saves
SET hash_mem_multiplier = 16  -- hash every grouping set in the one scan (spills to disk past it)
AS $$
DECLARE
    s record;
    n int;
    values_sql text := '';
    sep text;
    query text;
    value_list text := '';
    text_list text := '';
    sets text := '';
    kinds text := '';
    joins text := '';
    names text := '';
    day_sql text := 'NULL::date';
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'no fact table given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.dm_explore_column(rel, amount_column, 'amount', 'numeric');
    IF jsonb_typeof(breakdowns) IS DISTINCT FROM 'array' OR jsonb_array_length(breakdowns) = 0 THEN
        RAISE EXCEPTION 'breakdowns must be a non-empty jsonb array'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''[{"column": "product_id", "table": "products", "key": "product_id", "attribute": "family"}]''.';
    END IF;
    IF growth_period IS NULL OR growth_period NOT IN ('month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown growth_period "%"', growth_period
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''month'', ''quarter'' or ''year''.';
    END IF;
    IF customer_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, customer_column, 'customer key');
    END IF;
    IF time_column IS NOT NULL THEN
        day_sql := (@extschema@.dm_time_expressions(rel, time_column, NULL, 'f')).day_sql;
    END IF;
    n := jsonb_array_length(breakdowns);
    IF n > 20 THEN
        RAISE EXCEPTION 'at most 20 breakdowns in one call, got %', n USING ERRCODE = 'program_limit_exceeded';
    END IF;
    FOR i IN 1 .. n LOOP
        s := @extschema@.dm_breakdown_spec(rel, breakdowns -> (i - 1), i);
        sep := CASE WHEN i > 1 THEN ', ' ELSE '' END;
        values_sql := values_sql || format(', %s AS v%s', s.value_sql, i);
        value_list := value_list || format('%sv%s', sep, i);
        text_list := text_list || format('%sg.v%s::text', sep, i);
        joins := joins || s.join_sql;
        -- Per value x customer (totals, distinct customers) and per value x period (growth); their
        -- GROUPING(v1..vn, customer, bucket) bits: 1 for each argument not grouped.
        sets := sets || format('%s(v%s, customer), (v%2$s, bucket)', sep, i);
        kinds := kinds || format('%s(%s, %s, ''customer''), (%2$s, %4$s, ''bucket'')', sep, i,
                                 (1 << (n + 2)) - 1 - (1 << (n + 2 - i)) - 2, (1 << (n + 2)) - 1 - (1 << (n + 2 - i)) - 1);
        names := names || format('%s(%s, %L, %L)', sep, i, s.dimension, s.attribute);
    END LOOP;
    -- One read of the fact table (joined to the dimensions), hashed into every grouping set at once.
    query := format($q$
        WITH g AS (
            SELECT GROUPING(%7$s, customer, bucket) AS gid, %7$s, customer, bucket,
                   COALESCE(sum(amount), 0) AS revenue, count(*) AS lines, min(day) AS lo, max(day) AS hi
            FROM (SELECT f.%2$I::float8 AS amount, %3$s AS customer, %4$s AS day,
                         date_trunc($1, (%4$s)::timestamp)::date AS bucket %5$s
                  FROM %1$s f %6$s) s
            GROUP BY GROUPING SETS (%8$s)
        ), parts AS (  -- NULL values (unmatched keys) stay one group: GROUP BY, not a join, pairs the parts
            SELECT kind.k, (ARRAY[%12$s])[kind.k] AS value, g.customer,
                   CASE WHEN kind.kind = 'bucket' THEN g.bucket END AS bucket, g.revenue,
                   CASE WHEN kind.kind = 'customer' THEN g.lines END AS lines, g.lo, g.hi
            FROM g JOIN (VALUES %9$s) AS kind(k, gid, kind) ON kind.gid = g.gid
        ), range_ AS (
            SELECT min(lo) AS lo, max(hi) AS hi, date_trunc($1, max(hi)::timestamp)::date AS last_start FROM parts
        ), covered AS MATERIALIZED (  -- the last period of the data and the one before, and their days in the data
            -- (materialized: one row, never recomputed for each row it is joined with)
            SELECT r.last_start, (r.last_start - ('1 ' || $1)::interval)::date AS prev_start,
                   r.hi - r.last_start + 1 AS days_last,
                   r.last_start - greatest(r.lo, (r.last_start - ('1 ' || $1)::interval)::date) AS days_prev
            FROM range_ r
        ), totals AS (
            SELECT p.k, p.value, COALESCE(sum(p.revenue) FILTER (WHERE p.lines IS NOT NULL), 0) AS revenue,
                   sum(p.lines)::bigint AS lines, %10$s AS customers,
                   CASE WHEN v.days_prev > 0
                        THEN COALESCE(sum(p.revenue) FILTER (WHERE p.lines IS NULL AND p.bucket = v.last_start), 0) / v.days_last END AS rev_last,
                   CASE WHEN v.days_prev > 0
                        THEN sum(p.revenue) FILTER (WHERE p.lines IS NULL AND p.bucket = v.prev_start) / v.days_prev END AS rev_prev
            FROM parts p CROSS JOIN covered v GROUP BY p.k, p.value, v.days_last, v.days_prev
        ), ranked AS (
            SELECT t.*, row_number() OVER w AS r,
                   t.revenue / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS share,
                   sum(t.revenue) OVER (w ROWS UNBOUNDED PRECEDING) / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS cum
            FROM totals t
            WINDOW w AS (PARTITION BY t.k ORDER BY t.revenue DESC, t.value)
        )
        SELECT nm.dimension, nm.attribute, x.value, x.revenue, x.lines, x.customers, x.share, x.cum, x.r::int,
               COALESCE(x.rev_last, 0) / NULLIF(x.rev_prev, 0) - 1,
               CASE WHEN x.cum - x.share < 0.80 THEN 'A' WHEN x.cum - x.share < 0.95 THEN 'B' ELSE 'C' END
        FROM ranked x JOIN (VALUES %11$s) AS nm(k, dimension, attribute) ON nm.k = x.k
        ORDER BY x.k, x.r
        $q$,
        rel, amount_column,
        CASE WHEN customer_column IS NULL THEN 'NULL::int' ELSE format('f.%I', customer_column) END,
        day_sql, values_sql, joins, value_list, sets, kinds,
        CASE WHEN customer_column IS NULL THEN 'NULL::bigint' ELSE 'count(p.customer) FILTER (WHERE p.lines IS NOT NULL)' END,
        names, text_list);
    RAISE DEBUG 'dm_breakdowns: %', query;
    RETURN QUERY EXECUTE query USING growth_period;
END
$$;
COMMENT ON FUNCTION dm_breakdowns(regclass, text, jsonb, text, text, text) IS
    'revenue, lines, customers, share, cumulative share, rank, growth over the last period (daily average of the last calendar growth_period vs the one before) and ABC class (A: first 80% of revenue, B: next 15%, C: rest) per value of each breakdown, all in one scan';

-- One breakdown: by a fact column, or by an attribute of a dimension table joined on key = by_column.
CREATE FUNCTION dm_breakdown(rel regclass, amount_column text, by_column text, time_column text DEFAULT NULL,
                             customer_column text DEFAULT NULL, dimension regclass DEFAULT NULL,
                             dimension_key text DEFAULT NULL, attribute text DEFAULT NULL,
                             growth_period text DEFAULT 'month')
RETURNS TABLE (value text, revenue float8, lines bigint, customers bigint, share float8, cumulative_share float8,
               "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    spec jsonb := jsonb_build_object('column', by_column);
BEGIN
    IF dimension IS NOT NULL THEN
        spec := spec || jsonb_build_object('table', dimension::text, 'key', COALESCE(dimension_key, by_column),
                                           'attribute', attribute);
    ELSIF dimension_key IS NOT NULL OR attribute IS NOT NULL THEN
        RAISE EXCEPTION 'dimension_key and attribute need a dimension table' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY SELECT b.value, b.revenue, b.lines, b.customers, b.share, b.cumulative_share, b.rank, b.growth, b.abc_class
                 FROM @extschema@.dm_breakdowns(rel, amount_column, jsonb_build_array(spec), time_column,
                                                customer_column, growth_period) b;
END
$$;
COMMENT ON FUNCTION dm_breakdown(regclass, text, text, text, text, regclass, text, text, text) IS
    'revenue, lines, customers, share, cumulative share, rank, growth and ABC class per value of by_column, or of a dimension attribute joined on dimension_key = by_column';

-- The n values with the most revenue (top products, customers, ...).
CREATE FUNCTION dm_top(rel regclass, amount_column text, by_column text, n int DEFAULT 10,
                       time_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                       dimension regclass DEFAULT NULL, dimension_key text DEFAULT NULL, attribute text DEFAULT NULL)
RETURNS TABLE (value text, revenue float8, lines bigint, customers bigint, share float8, cumulative_share float8,
               "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF n IS NULL OR n < 1 THEN
        RAISE EXCEPTION 'n must be at least 1, got %', n USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY SELECT * FROM @extschema@.dm_breakdown(rel, amount_column, by_column, time_column, customer_column,
                                                      dimension, dimension_key, attribute) b
                 WHERE b.rank <= n;
END
$$;
COMMENT ON FUNCTION dm_top(regclass, text, text, int, text, text, regclass, text, text) IS
    'the n values of by_column (or of a dimension attribute) with the most revenue, as dm_breakdown rows';

-- Concentration of revenue over the values: counts and shares of the ABC classes, Gini, top 20%.
CREATE FUNCTION dm_concentration(rel regclass, amount_column text, by_column text, dimension regclass DEFAULT NULL,
                                 dimension_key text DEFAULT NULL, attribute text DEFAULT NULL)
RETURNS TABLE (items bigint, revenue float8, gini float8, top20_share float8, a_items bigint, b_items bigint,
               c_items bigint, a_share float8, b_share float8, c_share float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT count(*), sum(b.revenue), @extschema@.dm_gini(array_agg(b.revenue)), @extschema@.dm_top_share(array_agg(b.revenue)),
           count(*) FILTER (WHERE b.abc_class = 'A'), count(*) FILTER (WHERE b.abc_class = 'B'),
           count(*) FILTER (WHERE b.abc_class = 'C'),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'A'), 0), COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'B'), 0),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'C'), 0)
    FROM @extschema@.dm_breakdown(rel, amount_column, by_column, NULL, NULL, dimension, dimension_key, attribute) b
    HAVING count(*) > 0;
END
$$;
COMMENT ON FUNCTION dm_concentration(regclass, text, text, regclass, text, text) IS
    'concentration of revenue over the values of by_column (or a dimension attribute): items, revenue, Gini, share of the top 20%, ABC class counts and shares';
-- K-Means clustering: the kmeans_model type, dm_kmeans, dm_kmeans_auto, dm_kmeans_refine,
-- dm_kmeans_assign, dm_kmeans_distance, dm_kmeans_centroids, dm_kmeans_info.

-- A fitted model. Text form: a JSON object (what dm_kmeans_info shows); binary form: the
-- versioned, checksummed bytes. Both are validated on input.
CREATE TYPE kmeans_model;
CREATE FUNCTION kmeans_model_in(cstring) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_out(kmeans_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_recv(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_send(kmeans_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE kmeans_model (
    INPUT = kmeans_model_in, OUTPUT = kmeans_model_out,
    RECEIVE = kmeans_model_recv, SEND = kmeans_model_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE kmeans_model IS
    'a fitted K-Means model (centroids, scaling, sizes, SSE, scores); text form is JSON';

-- Fitting: the points go into a bounded sample; the final function fits.
CREATE FUNCTION dm_kmeans_accum(internal, float8[], int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_accum(internal, float8[], int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_final(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans(features float8[], k int) (
    SFUNC = dm_kmeans_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int) IS
    'K-Means model with k clusters (k-means++, 10 restarts, standardised features); NULL rows are skipped';

CREATE AGGREGATE dm_kmeans(features float8[], k int, options jsonb) (
    SFUNC = dm_kmeans_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int, jsonb) IS
    'K-Means model with k clusters; options: max_iter, tol, n_init, seed, scale, sample_size, silhouette_sample, swap_trials';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int) (
    SFUNC = dm_kmeans_auto_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette; inertia and silhouette of every k are kept';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int, options jsonb) (
    SFUNC = dm_kmeans_auto_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int, jsonb) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette, with options as dm_kmeans';

-- Refinement: one exact Lloyd pass over every row.
CREATE FUNCTION dm_kmeans_refine_accum(internal, kmeans_model, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_final(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans_refine(model kmeans_model, features float8[]) (
    SFUNC = dm_kmeans_refine_accum, STYPE = internal,
    SSPACE = 2000, -- bytes: a small model
    FINALFUNC = dm_kmeans_refine_final,
    COMBINEFUNC = dm_kmeans_refine_combine, SERIALFUNC = dm_kmeans_refine_serialize,
    DESERIALFUNC = dm_kmeans_refine_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_refine(kmeans_model, float8[]) IS
    'the model after one exact Lloyd pass over every row: centroids moved to the means, exact sizes and SSE';

-- Using a model.
CREATE FUNCTION dm_kmeans_assign(model kmeans_model, features float8[]) RETURNS int
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_assign(kmeans_model, float8[]) IS
    'cluster (1..k) of the nearest centroid';

CREATE FUNCTION dm_kmeans_distance(model kmeans_model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_distance(kmeans_model, float8[]) IS
    'distance to the nearest centroid (on standardised features when the model scales them)';

CREATE FUNCTION dm_kmeans_distance(model kmeans_model, features float8[], cluster int) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_distance(kmeans_model, float8[], int) IS
    'distance to the centroid of cluster (1..k)';

CREATE FUNCTION dm_kmeans_centroids(model kmeans_model)
RETURNS TABLE (cluster int, size bigint, sse float8, centroid float8[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_kmeans_centroids(kmeans_model) IS
    'one row per cluster: size (estimated when fitted on a sample), within-cluster SSE, centroid in original units';

CREATE FUNCTION dm_kmeans_info(model kmeans_model) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_info(kmeans_model) IS
    'the model as JSON: k, rows, inertia, silhouette, iterations, converged, per-k scores, scaling, sampled';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'kmeans_model_in(cstring)', 'kmeans_model_out(kmeans_model)',
        'kmeans_model_recv(internal)', 'kmeans_model_send(kmeans_model)',
        'dm_kmeans_accum(internal, float8[], int)', 'dm_kmeans_accum(internal, float8[], int, jsonb)',
        'dm_kmeans_auto_accum(internal, float8[], int, int)',
        'dm_kmeans_auto_accum(internal, float8[], int, int, jsonb)',
        'dm_kmeans_combine(internal, internal)', 'dm_kmeans_serialize(internal)',
        'dm_kmeans_deserialize(bytea, internal)', 'dm_kmeans_final(internal)',
        'dm_kmeans_refine_accum(internal, kmeans_model, float8[])',
        'dm_kmeans_refine_combine(internal, internal)', 'dm_kmeans_refine_serialize(internal)',
        'dm_kmeans_refine_deserialize(bytea, internal)', 'dm_kmeans_refine_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       CASE WHEN f LIKE 'kmeans_model_%' THEN 'input/output function of kmeans_model'
                            ELSE 'support function of a dmine aggregate (internal)' END);
    END LOOP;
END
$comments$;
-- Anomaly detection with Isolation Forest (Liu, Ting & Zhou 2008): the iforest_model type,
-- dm_iforest, dm_iforest_score, dm_iforest_is_anomaly, dm_iforest_explain,
-- dm_iforest_contributions, dm_iforest_info.

-- A fitted forest. Text form: a JSON object with every tree; binary form: the versioned,
-- checksummed bytes. Both are validated on input.
CREATE TYPE iforest_model;
CREATE FUNCTION iforest_model_in(cstring) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_out(iforest_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_recv(internal) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_send(iforest_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE iforest_model (
    INPUT = iforest_model_in, OUTPUT = iforest_model_out,
    RECEIVE = iforest_model_recv, SEND = iforest_model_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE iforest_model IS
    'a fitted Isolation Forest (trees, sample size, rows seen, features, threshold); text form is JSON';

-- Fitting: the rows go into a bounded sample pool; the final function grows the trees.
CREATE FUNCTION dm_iforest_accum(internal, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_accum(internal, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_final(internal) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_iforest(features float8[]) (
    SFUNC = dm_iforest_accum, STYPE = internal,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_iforest_final,
    COMBINEFUNC = dm_iforest_combine, SERIALFUNC = dm_iforest_serialize,
    DESERIALFUNC = dm_iforest_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[]) IS
    'Isolation Forest of the feature vectors: 100 trees of min(256, rows) rows each, height limit ceil(log2 of that), seed 0; NULL rows are skipped';

CREATE AGGREGATE dm_iforest(features float8[], options jsonb) (
    SFUNC = dm_iforest_accum, STYPE = internal,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_iforest_final,
    COMBINEFUNC = dm_iforest_combine, SERIALFUNC = dm_iforest_serialize,
    DESERIALFUNC = dm_iforest_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[], jsonb) IS
    'Isolation Forest with options (read from the first row): n_trees, sample_size, max_depth, contamination (''auto'' or a share), seed';

-- Using a model.
CREATE FUNCTION dm_iforest_score(model iforest_model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_score(iforest_model, float8[]) IS
    'anomaly score 2^(-E[h(x)]/c(psi)) in (0, 1]: near 1 anomalous, 0.5 or less ordinary (scikit-learn''s score_samples is its negative)';

CREATE FUNCTION dm_iforest_is_anomaly(model iforest_model, features float8[]) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_is_anomaly(iforest_model, float8[]) IS
    'true when the score exceeds the model''s threshold: 0.5 for contamination ''auto'', else the (1 - contamination) quantile of the training scores';

CREATE FUNCTION dm_iforest_contributions(model iforest_model, features float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_contributions(iforest_model, float8[]) IS
    'each feature''s contribution to isolating the row (bits: mean over the trees of log2(node rows / child rows) of its splits on the path), in feature order';

CREATE FUNCTION dm_iforest_explain(model iforest_model, features float8[])
RETURNS TABLE (rank int, feature int, name text, contribution float8, share float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_iforest_explain(iforest_model, float8[]) IS
    'one row per feature, most important first: rank, feature (1-based), name (NULL), contribution in bits, share of the total';

CREATE FUNCTION dm_iforest_explain(model iforest_model, features float8[], names text[])
RETURNS TABLE (rank int, feature int, name text, contribution float8, share float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_iforest_explain(iforest_model, float8[], text[]) IS
    'one row per feature, most important first, named from names (one per feature): rank, feature, name, contribution in bits, share';

CREATE FUNCTION dm_iforest_info(model iforest_model) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_info(iforest_model) IS
    'the model without its trees as JSON: features, n_trees, sample_size, max_depth, rows_seen, seed, contamination, threshold, nodes, leaves';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'iforest_model_in(cstring)', 'iforest_model_out(iforest_model)',
        'iforest_model_recv(internal)', 'iforest_model_send(iforest_model)',
        'dm_iforest_accum(internal, float8[])', 'dm_iforest_accum(internal, float8[], jsonb)',
        'dm_iforest_combine(internal, internal)', 'dm_iforest_serialize(internal)',
        'dm_iforest_deserialize(bytea, internal)', 'dm_iforest_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       CASE WHEN f LIKE 'iforest_model_%' THEN 'input/output function of iforest_model'
                            ELSE 'support function of a dmine aggregate (internal)' END);
    END LOOP;
END
$comments$;
-- RFM segmentation: dm_rfm_segment, dm_rfm_segment_map, dm_rfm_score, dm_rfm, and the mapping
-- checks shared with the mining pipeline (dm_mapping_column).

-- Segment of a customer from its R, F and M scores (1..5).
-- 'default': the 11-segment map on R and FM = trunc((F + M) / 2), first matching rule wins:
--   22 Hibernating; [1-2][1-2] Lost; 15 Can't Lose Them; [1-2][3-5] At Risk; 3[1-2] About to Sleep;
--   33 Need Attention; 55 Champions; [3-5][4-5] Loyal; 41 Promising; 51 New Customers;
--   [4-5][2-3] Potential Loyalist.
-- 'coarse': the same map folded into five groups (Champions, Loyal, Potential, At Risk, Lost).
CREATE FUNCTION dm_rfm_segment(r int, f int, m int, scheme text DEFAULT 'default') RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fm int;
    segment text;
BEGIN
    IF r IS NULL OR f IS NULL OR m IS NULL THEN
        RETURN NULL;
    END IF;
    IF r NOT BETWEEN 1 AND 5 OR f NOT BETWEEN 1 AND 5 OR m NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'RFM scores must be between 1 and 5, got R = %, F = %, M = %', r, f, m
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF scheme IS NULL OR scheme NOT IN ('default', 'coarse') THEN
        RAISE EXCEPTION 'unknown RFM segment scheme "%"', scheme
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''default'' (11 segments) or ''coarse'' (5 segments).';
    END IF;
    fm := (f + m) / 2;  -- integer division: trunc((F + M) / 2)
    segment := CASE
        WHEN r = 2 AND fm = 2 THEN 'Hibernating'
        WHEN r <= 2 AND fm <= 2 THEN 'Lost'
        WHEN r = 1 AND fm = 5 THEN 'Can''t Lose Them'
        WHEN r <= 2 THEN 'At Risk'
        WHEN r = 3 AND fm <= 2 THEN 'About to Sleep'
        WHEN r = 3 AND fm = 3 THEN 'Need Attention'
        WHEN r = 5 AND fm = 5 THEN 'Champions'
        WHEN fm >= 4 THEN 'Loyal'
        WHEN r = 4 AND fm = 1 THEN 'Promising'
        WHEN r = 5 AND fm = 1 THEN 'New Customers'
        ELSE 'Potential Loyalist'
    END;
    IF scheme = 'coarse' THEN
        segment := CASE segment
            WHEN 'Champions' THEN 'Champions'
            WHEN 'Loyal' THEN 'Loyal'
            WHEN 'Potential Loyalist' THEN 'Potential'
            WHEN 'New Customers' THEN 'Potential'
            WHEN 'Promising' THEN 'Potential'
            WHEN 'Need Attention' THEN 'Potential'
            WHEN 'At Risk' THEN 'At Risk'
            WHEN 'Can''t Lose Them' THEN 'At Risk'
            WHEN 'About to Sleep' THEN 'At Risk'
            ELSE 'Lost'
        END;
    END IF;
    RETURN segment;
END
$$;
COMMENT ON FUNCTION dm_rfm_segment(int, int, int, text) IS
    'RFM segment of scores R, F, M (1..5): scheme ''default'' (11 segments on R and FM = trunc((F + M) / 2)) or ''coarse'' (Champions, Loyal, Potential, At Risk, Lost)';

-- The 25 cells of a scheme: R score, FM score, segment, and the segment's place in the scheme's
-- order (best first), for sorting and for drawing the R x FM grid.
CREATE FUNCTION dm_rfm_segment_map(scheme text DEFAULT 'default')
RETURNS TABLE (r_score int, fm_score int, segment text, segment_order int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r, fm, s.segment,
           CASE WHEN scheme = 'coarse'
                THEN array_position(ARRAY['Champions', 'Loyal', 'Potential', 'At Risk', 'Lost'], s.segment)
                ELSE array_position(ARRAY['Champions', 'Loyal', 'Potential Loyalist', 'New Customers',
                                          'Promising', 'Need Attention', 'About to Sleep', 'At Risk',
                                          'Can''t Lose Them', 'Hibernating', 'Lost'], s.segment) END
    FROM generate_series(1, 5) AS r, generate_series(1, 5) AS fm,
         LATERAL (SELECT @extschema@.dm_rfm_segment(r, fm, fm, scheme) AS segment) AS s
    ORDER BY r, fm
$$;
COMMENT ON FUNCTION dm_rfm_segment_map(text) IS
    'the 25 cells (R score x FM score) of an RFM scheme with their segment and the segment''s order (1 = best)';

-- Quintile score with ties equal: 1 + the number of whole fifths of the customers that are
-- strictly worse. Use with rank(): dm_rfm_score(rank() OVER (ORDER BY monetary) - 1, count(*) OVER ()).
CREATE FUNCTION dm_rfm_score(strictly_worse bigint, total bigint) RETURNS int
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF total <= 0 OR strictly_worse < 0 OR strictly_worse >= total THEN
        RAISE EXCEPTION 'dm_rfm_score needs 0 <= strictly_worse < total, got % and %', strictly_worse, total
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN 1 + (5 * strictly_worse) / total;  -- integer division: floor
END
$$;
COMMENT ON FUNCTION dm_rfm_score(bigint, bigint) IS
    'RFM quintile score 1..5 = 1 + floor(5 * strictly_worse / total); equal values share the rank, hence the score';

-- The relation and column checks used by dm_rfm, the exploration functions and the mining
-- pipeline. kind: 'any', 'numeric' (a number type), 'integer', 'temporal' (date, timestamp,
-- timestamptz) or 'time' (temporal, or an integer or text yyyymmdd / ISO date key). Returns the
-- column's type.
CREATE FUNCTION dm_mapping_column(rel regclass, column_name text, role text, kind text DEFAULT 'any')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    type_oid oid;
    category "char";
BEGIN
    IF column_name IS NULL OR column_name = '' THEN
        RAISE EXCEPTION 'no column given for the % of %', role, rel
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.atttypid, t.typcategory INTO type_oid, category
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = rel AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" (the %) does not exist in %', column_name, role, rel
            USING ERRCODE = 'undefined_column',
                  HINT = 'Column names are case-sensitive identifiers: give them as they are stored, without quotes.';
    END IF;
    IF kind = 'numeric' AND (category <> 'N' OR type_oid = 'money'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a number type is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'temporal' AND type_oid NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a date, timestamp or timestamptz is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'integer' AND type_oid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, an integer type is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'time' AND type_oid NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                                             'smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                                             'numeric'::regtype, 'text'::regtype, 'varchar'::regtype,
                                             'bpchar'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a date, timestamp, timestamptz, or an integer or text yyyymmdd date key is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    RETURN format_type(type_oid, NULL);
END
$$;
COMMENT ON FUNCTION dm_mapping_column(regclass, text, text, text) IS
    'checks that a mapped column exists (and is a number, an integer, a date/time or a date key when kind says so) and returns its type; errors name the column, its role and the table';

-- The relation named by text, or a clear error naming it.
CREATE FUNCTION dm_mapping_relation(relation_name text, role text DEFAULT 'fact table') RETURNS regclass
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
BEGIN
    IF relation_name IS NULL OR relation_name = '' THEN
        RAISE EXCEPTION 'no % given', role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        rel := to_regclass(relation_name);
    EXCEPTION WHEN invalid_name OR syntax_error OR invalid_schema_name THEN
        rel := NULL;
    END;
    IF rel IS NULL THEN
        RAISE EXCEPTION '% % does not exist', role,
                        CASE WHEN relation_name LIKE '%"%' THEN relation_name ELSE '"' || relation_name || '"' END
            USING ERRCODE = 'undefined_table',
                  HINT = 'Give a table or view name as in SQL, schema-qualified; quote mixed-case names: ''"Sales"."Lines"''.';
    END IF;
    IF (SELECT relkind FROM pg_class WHERE oid = rel) NOT IN ('r', 'v', 'm', 'p', 'f') THEN
        RAISE EXCEPTION '% % is not a table or view', role, rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    RETURN rel;
END
$$;
COMMENT ON FUNCTION dm_mapping_relation(text, text) IS
    'resolves a table or view name (as in SQL, quoted where needed) or fails with an error naming it';

-- The reference date of dm_rfm: as_of, or the day after the latest purchase when as_of is NULL.
-- An as_of before the latest purchase would give negative recencies (and rank those customers
-- the most recent): it is refused, with the latest purchase in the hint.
CREATE FUNCTION dm_rfm_reference_date(as_of date, latest_purchase date) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF as_of IS NULL THEN
        RETURN latest_purchase + 1;
    END IF;
    IF as_of < latest_purchase THEN
        RAISE EXCEPTION 'as_of (%) is before the latest purchase in the data (%)', as_of, latest_purchase
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Use an as_of on or after %s, or leave out later lines with a view.', latest_purchase);
    END IF;
    RETURN as_of;
END
$$;
COMMENT ON FUNCTION dm_rfm_reference_date(date, date) IS
    'reference date of dm_rfm: as_of, or the day after the latest purchase when NULL; an as_of before the latest purchase is an error (22023)';

-- RFM of every customer of a fact table (or view): Recency = days from the date of the last
-- purchase to as_of, Frequency = distinct orders, Monetary = sum of amounts; scores 1..5 by
-- quintiles across customers (ties equal: see dm_rfm_score), R = 5 for the most recent; segment.
-- Lines with a NULL customer are left out. Filter or compute columns with a view.
CREATE FUNCTION dm_rfm(fact regclass, customer_column text, order_column text, time_column text,
                       amount_column text, as_of date DEFAULT NULL, scheme text DEFAULT 'default')
RETURNS TABLE (customer_key text, last_purchase date, recency_days int, frequency bigint,
               monetary float8, r_score int, f_score int, m_score int, fm_score int, segment text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.dm_mapping_column(fact, customer_column, 'customer key');
    PERFORM @extschema@.dm_mapping_column(fact, order_column, 'order key');
    PERFORM @extschema@.dm_mapping_column(fact, time_column, 'timestamp', 'temporal');
    PERFORM @extschema@.dm_mapping_column(fact, amount_column, 'amount', 'numeric');
    PERFORM @extschema@.dm_rfm_segment(1, 1, 1, scheme);  -- rejects an unknown scheme at once
    RETURN QUERY EXECUTE format($q$
        WITH orders AS (
            SELECT %2$I::text AS customer_key, %3$I AS order_key,
                   max(%4$I)::date AS last_day, sum(%5$I) AS amount
            FROM %1$s WHERE %2$I IS NOT NULL
            GROUP BY 1, 2
        ), customers AS (
            SELECT o.customer_key, max(o.last_day) AS last_purchase,
                   count(o.order_key) AS frequency, sum(o.amount)::float8 AS monetary
            FROM orders o GROUP BY 1
        ), dated AS (
            SELECT c.*, ((SELECT @extschema@.dm_rfm_reference_date($1, max(last_purchase)) FROM customers)
                         - c.last_purchase)::int AS recency
            FROM customers c
        ), scored AS (
            SELECT d.*,
                   @extschema@.dm_rfm_score(rank() OVER (ORDER BY d.recency DESC) - 1, count(*) OVER ()) AS r,
                   @extschema@.dm_rfm_score(rank() OVER (ORDER BY d.frequency) - 1, count(*) OVER ()) AS f,
                   @extschema@.dm_rfm_score(rank() OVER (ORDER BY d.monetary) - 1, count(*) OVER ()) AS m
            FROM dated d
        )
        SELECT s.customer_key, s.last_purchase, s.recency, s.frequency, s.monetary, s.r, s.f, s.m,
               (s.f + s.m) / 2, @extschema@.dm_rfm_segment(s.r, s.f, s.m, $2)
        FROM scored s ORDER BY s.customer_key
        $q$, fact, customer_column, order_column, time_column, amount_column)
    USING as_of, scheme;
END
$$;
COMMENT ON FUNCTION dm_rfm(regclass, text, text, text, text, date, text) IS
    'RFM of every customer of a fact table or view: recency (days to as_of, default the day after the last purchase), frequency (distinct orders), monetary (sum of amounts), quintile scores with ties equal, FM score and segment';
-- The mining pipeline: configurations (mining_config, configure_mining), the run log (runs,
-- run_steps), result tables keyed by run id, the latest_* views, CALL run_mining(...), and
-- grant_read_access for dashboards. Tables and views are described in docs/results.md.

-- Configurations --------------------------------------------------------------------------------
CREATE TABLE mining_config (
    config_name text PRIMARY KEY,
    fact_table text NOT NULL,          -- a table or view, schema-qualified (resolved when configured)
    customer_column text NOT NULL,
    order_column text NOT NULL,
    time_column text NOT NULL,
    amount_column text NOT NULL,
    quantity_column text,
    line_column text,                  -- identifies a sales line in result_anomalies (default ctid)
    extra_features text[] NOT NULL DEFAULT '{}',  -- more numeric columns for the anomaly step
    options jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    product_column text,               -- the star schema (trends and breakdowns steps): product key,
    store_column text,                 -- store / depot key,
    unit_price_column text,            -- unit price (else amount / quantity),
    dimensions jsonb NOT NULL DEFAULT '[]'  -- declared dimension tables [{column, table, key, attributes}]
);
COMMENT ON TABLE mining_config IS
    'mining configurations: the fact table of a warehouse, its column mapping and options (see configure_mining)';

-- Run log ---------------------------------------------------------------------------------------
CREATE TABLE runs (
    run_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    config_name text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('full', 'quick')),
    steps text[] NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    error text,
    warehouse jsonb NOT NULL,
    parameters jsonb NOT NULL,
    backend_pid int
);
CREATE INDEX ON runs (config_name, run_id);
CREATE INDEX ON runs (status, run_id);
COMMENT ON TABLE runs IS 'one row per mining run: configuration, mode, steps, status, timing, error, mapping and parameters used';

CREATE TABLE run_steps (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    step text NOT NULL,
    position int NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at timestamptz,
    finished_at timestamptz,
    duration_ms float8,
    rows bigint,
    error text,
    details jsonb,
    PRIMARY KEY (run_id, step)
);
COMMENT ON TABLE run_steps IS 'one row per step of a run: status, timing, rows written, error and details';

-- Who runs each configuration now. A run holds a session advisory lock on a random key chosen
-- when it claims the configuration, and records that key with its backend pid here; only roles
-- that may write this table (the pipeline's) can claim. Any role can take any advisory lock, but
-- a lock not recorded here blocks nothing: a claim looks only for the recorded pid holding the
-- recorded key. Not dumped: claims end with their sessions.
CREATE TABLE run_claims (
    config_name text PRIMARY KEY,
    lock_key bigint,
    holder_pid int,
    run_id bigint,
    claimed_at timestamptz
);
REVOKE ALL ON run_claims FROM PUBLIC;
COMMENT ON TABLE run_claims IS
    'the run in progress of each configuration: the session (pid) and the advisory lock key it holds';

-- Results ---------------------------------------------------------------------------------------
CREATE TABLE result_profile (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    column_name text NOT NULL,
    ordinal int,
    data_type text,
    kind text,
    row_count bigint,
    null_count bigint,
    null_fraction float8,
    distinct_estimate bigint,
    mean float8,
    stddev float8,
    p25 float8,
    p50 float8,
    p75 float8,
    min_value text,
    max_value text,
    skewness float8,
    kurtosis float8,
    top_values jsonb,
    histogram jsonb,
    role text,                 -- identifier, category, date, timestamp, measure, text or boolean
    distinct_exact boolean,    -- distinct_estimate is an exact count
    uniqueness float8,         -- distinct values / non-null values
    orphans bigint,            -- a mapped dimension key: lines whose key is not in the dimension
    PRIMARY KEY (run_id, column_name)
);
COMMENT ON TABLE result_profile IS 'profile step: one row per column of the fact table';

CREATE TABLE result_correlation (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    feature_x text NOT NULL,
    feature_y text NOT NULL,
    correlation float8,
    PRIMARY KEY (run_id, feature_x, feature_y)
);
COMMENT ON TABLE result_correlation IS 'profile step: Pearson correlation of every pair of line features (full matrix)';

CREATE TABLE result_customer_features (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    customer_key text NOT NULL,
    recency_days float8,
    frequency float8,
    monetary float8,
    avg_basket float8,
    avg_quantity float8,
    night_share float8,
    features float8[],
    PRIMARY KEY (run_id, customer_key)
);
COMMENT ON TABLE result_customer_features IS 'features step: one row per customer; features is the vector clustered';

CREATE TABLE result_kmeans_scores (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    k int NOT NULL,
    inertia float8,
    silhouette float8,
    chosen boolean NOT NULL,
    PRIMARY KEY (run_id, k)
);
COMMENT ON TABLE result_kmeans_scores IS 'clustering step: inertia and silhouette of every k tried, the chosen one marked';

CREATE TABLE result_clusters (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    customer_key text NOT NULL,
    cluster int NOT NULL,
    distance float8,
    PRIMARY KEY (run_id, customer_key)
);
COMMENT ON TABLE result_clusters IS 'clustering step: the cluster of every customer and its distance to the centroid';

CREATE TABLE result_cluster_profiles (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    cluster int NOT NULL,
    size bigint,
    share float8,
    label text,
    recency_days float8,
    frequency float8,
    monetary float8,
    avg_basket float8,
    avg_quantity float8,
    night_share float8,
    centroid jsonb,
    PRIMARY KEY (run_id, cluster)
);
COMMENT ON TABLE result_cluster_profiles IS 'cluster_profiles step: size, share, label, mean features and centroid of every cluster';

CREATE TABLE result_anomalies (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    line_key text,
    customer_key text,
    occurred_at timestamptz,
    amount float8,
    quantity float8,
    score float8 NOT NULL,
    is_anomaly boolean NOT NULL,
    anomaly_type text,
    explanation jsonb
);
CREATE INDEX ON result_anomalies (run_id, score DESC);
COMMENT ON TABLE result_anomalies IS 'anomalies step: the flagged sales lines and the top lines by score, with type and explanation';

CREATE TABLE result_anomaly_summary (
    run_id bigint PRIMARY KEY REFERENCES runs ON DELETE CASCADE,
    lines_scored bigint,
    threshold float8,
    anomalies bigint,
    score_histogram jsonb
);
COMMENT ON TABLE result_anomaly_summary IS 'anomalies step: lines scored, threshold, anomalies flagged and the score histogram';

CREATE TABLE result_rfm (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    customer_key text NOT NULL,
    recency_days int,
    frequency bigint,
    monetary float8,
    r_score int,
    f_score int,
    m_score int,
    fm_score int,
    segment text,
    PRIMARY KEY (run_id, customer_key)
);
COMMENT ON TABLE result_rfm IS 'rfm step: recency, frequency, monetary, quintile scores and segment of every customer';

CREATE TABLE result_models (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    step text NOT NULL,
    kmeans @extschema@.kmeans_model,
    iforest @extschema@.iforest_model,
    feature_names text[],
    PRIMARY KEY (run_id, step)
);
COMMENT ON TABLE result_models IS 'the models fitted by a run (clustering: kmeans, anomalies: iforest), to score new data';

CREATE TABLE result_trends (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    grain text NOT NULL CHECK (grain IN ('day', 'week', 'month')),
    period_start date NOT NULL,
    days int,
    revenue float8,
    lines bigint,
    orders bigint,
    customers bigint,
    quantity float8,
    trend float8,
    growth_prev float8,
    growth_year float8,
    PRIMARY KEY (run_id, grain, period_start)
);
COMMENT ON TABLE result_trends IS
    'trends step: revenue, lines, orders, customers and quantity per day, week and month, with trend and growth';

CREATE TABLE result_seasonality (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    measure text NOT NULL,
    cycle text NOT NULL CHECK (cycle IN ('month', 'weekday')),
    "position" int NOT NULL,
    label text,
    seasonal_index float8,
    strength float8,
    observations int,
    PRIMARY KEY (run_id, measure, cycle, "position")
);
COMMENT ON TABLE result_seasonality IS
    'trends step: monthly and weekday seasonality indices (mean 1) of every measure, with the strength of each cycle';

CREATE TABLE result_heatmap (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    isodow int NOT NULL,
    day_name text,
    hour int NOT NULL,
    revenue float8,
    lines bigint,
    orders bigint,
    revenue_share float8,
    PRIMARY KEY (run_id, isodow, hour)
);
COMMENT ON TABLE result_heatmap IS 'trends step: revenue, lines and orders per ISO weekday x hour of day';

CREATE TABLE result_breakdowns (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    dimension text NOT NULL,
    attribute text NOT NULL,
    value text,
    revenue float8,
    lines bigint,
    customers bigint,
    share float8,
    cumulative_share float8,
    "rank" int NOT NULL,
    growth float8,
    abc_class text,
    PRIMARY KEY (run_id, dimension, attribute, "rank")
);
COMMENT ON TABLE result_breakdowns IS
    'breakdowns step: revenue, lines, customers, share, Pareto rank and cumulative share, growth and ABC class per value of every dimension attribute';

CREATE TABLE result_concentration (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    dimension text NOT NULL,
    attribute text NOT NULL,
    items bigint,
    revenue float8,
    gini float8,
    top20_share float8,
    a_items bigint,
    b_items bigint,
    c_items bigint,
    a_share float8,
    PRIMARY KEY (run_id, dimension, attribute)
);
COMMENT ON TABLE result_concentration IS
    'breakdowns step: concentration of revenue over the values of every dimension attribute: Gini, share of the top 20%, ABC class counts';

DO $dump$
DECLARE t regclass;
BEGIN
    -- One call per statement: each call updates the extension's catalog row.
    FOREACH t IN ARRAY ARRAY['@extschema@.mining_config', '@extschema@.runs', '@extschema@.runs_run_id_seq',
                  '@extschema@.run_steps', '@extschema@.result_profile', '@extschema@.result_correlation',
                  '@extschema@.result_customer_features', '@extschema@.result_kmeans_scores',
                  '@extschema@.result_clusters', '@extschema@.result_cluster_profiles',
                  '@extschema@.result_anomalies', '@extschema@.result_anomaly_summary',
                  '@extschema@.result_rfm', '@extschema@.result_models', '@extschema@.result_trends',
                  '@extschema@.result_seasonality', '@extschema@.result_heatmap', '@extschema@.result_breakdowns',
                  '@extschema@.result_concentration']::regclass[] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(t, '');
    END LOOP;
END
$dump$;

-- Pipeline: the latest_* views, one per result table, of the latest successful run.
-- Security barrier views: a role granted only the views (grant_read_access) must not see rows of
-- other runs, so its own conditions run after the view's run_id condition (which keeps the
-- run_id index scans), except leakproof ones such as = on text, which may still use an index.
-- Views of the latest successful run -------------------------------------------------------------
CREATE VIEW latest_run WITH (security_barrier) AS
SELECT r.*, r.finished_at - r.started_at AS duration
FROM @extschema@.runs r
WHERE r.status = 'succeeded'
ORDER BY r.run_id DESC
LIMIT 1;
COMMENT ON VIEW latest_run IS 'the latest successful run';

CREATE VIEW latest_steps WITH (security_barrier) AS
SELECT s.* FROM @extschema@.run_steps s WHERE s.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_profile WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_profile t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_correlation WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_correlation t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_customer_features WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_customer_features t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_kmeans_scores WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_kmeans_scores t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_clusters WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_clusters t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_cluster_profiles WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_cluster_profiles t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_anomalies WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_anomalies t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_anomaly_summary WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_anomaly_summary t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_rfm WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_rfm t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_rfm_segments WITH (security_barrier) AS
SELECT t.segment,
       count(*) AS customers,
       count(*)::float8 / sum(count(*)) OVER () AS share,
       sum(t.monetary) AS monetary,
       avg(t.recency_days)::float8 AS avg_recency_days,
       avg(t.frequency)::float8 AS avg_frequency,
       avg(t.monetary) AS avg_monetary,
       (SELECT min(m.segment_order)
        FROM @extschema@.dm_rfm_segment_map(COALESCE((SELECT l.parameters->>'rfm_scheme' FROM @extschema@.latest_run l),
                                                      'default')) AS m
        WHERE m.segment = t.segment) AS segment_order
FROM @extschema@.result_rfm t
WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run)
GROUP BY t.segment;
CREATE VIEW latest_trends WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_trends t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_seasonality WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_seasonality t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_heatmap WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_heatmap t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_breakdowns WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_breakdowns t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
CREATE VIEW latest_concentration WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_concentration t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
COMMENT ON VIEW latest_steps IS 'steps of the latest successful run';
COMMENT ON VIEW latest_profile IS 'column profile of the latest successful run';
COMMENT ON VIEW latest_correlation IS 'line feature correlations of the latest successful run';
COMMENT ON VIEW latest_customer_features IS 'customer features of the latest successful run';
COMMENT ON VIEW latest_kmeans_scores IS 'inertia and silhouette per k of the latest successful run';
COMMENT ON VIEW latest_clusters IS 'customer clusters of the latest successful run';
COMMENT ON VIEW latest_cluster_profiles IS 'cluster profiles of the latest successful run';
COMMENT ON VIEW latest_anomalies IS 'flagged and top-scored sales lines of the latest successful run';
COMMENT ON VIEW latest_anomaly_summary IS 'anomaly counts, threshold and score histogram of the latest successful run';
COMMENT ON VIEW latest_rfm IS 'RFM scores and segments of the latest successful run';
COMMENT ON VIEW latest_rfm_segments IS
    'RFM segments of the latest successful run: customers, share, monetary, average recency/frequency/monetary, segment_order (1 = best)';
COMMENT ON VIEW latest_trends IS 'sales per day, week and month with trend and growth of the latest successful run';
COMMENT ON VIEW latest_seasonality IS 'monthly and weekday seasonality indices of the latest successful run';
COMMENT ON VIEW latest_heatmap IS 'revenue per weekday x hour of the latest successful run';
COMMENT ON VIEW latest_breakdowns IS 'revenue by dimension attribute value (share, growth, ABC class) of the latest successful run';
COMMENT ON VIEW latest_concentration IS 'concentration of revenue (Gini, top 20% share, ABC counts) of the latest successful run';
-- Pipeline: options, the checked mapping, and configure_mining.
-- Options ---------------------------------------------------------------------------------------
-- The options of a configuration or a run, checked and completed with the defaults.
CREATE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 10000, "breakdown_rows": 100, "histogram_rule": "auto"}';
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
COMMENT ON FUNCTION dm_mining_options(jsonb) IS
    'checks mining options and completes them with the defaults; errors name the option';

-- Whether a column name looks like a key: its first or last word (split at _, -, space or a
-- lower-to-upper case change) is id, key, sk, pk, fk, code, num, no, nr, ref, uuid, guid or cle.
CREATE FUNCTION dm_key_like_name(column_name text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (
        SELECT array_remove(regexp_split_to_array(lower(regexp_replace(column_name, '([a-z0-9])([A-Z])', '\1_\2', 'g')),
                                                  '[^a-z0-9]+'), '') AS words
    )
    SELECT cardinality(words) > 0
           AND (words[1] = ANY (k) OR words[cardinality(words)] = ANY (k))
    FROM w, (SELECT ARRAY['id', 'key', 'sk', 'pk', 'fk', 'code', 'num', 'no', 'nr', 'ref', 'uuid', 'guid', 'cle']) AS kw(k)
$$;
COMMENT ON FUNCTION dm_key_like_name(text) IS
    'whether a column name looks like a key: first or last word id, key, sk, pk, fk, code, num, no, nr, ref, uuid, guid or cle (order_id, id_client, date_key, customer_sk, OrderNo)';

-- The attributes of a dimension table to break down by, when none are declared: its text,
-- enum and boolean columns (not the key, not key-like names) with 2 to 50 distinct values and
-- fewer distinct values than rows (a name per row is a label, not a category); at most 5, in
-- column order.
CREATE FUNCTION dm_dimension_attributes(dim regclass, key text) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col record;
    n_rows bigint;
    n_distinct bigint;
    picked text[] := '{}';
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', dim) INTO n_rows;
    FOR col IN
        SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = @extschema@.dm_base_type(a.atttypid)
        WHERE a.attrelid = dim AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> key
          AND t.typcategory IN ('S', 'E', 'B') AND NOT @extschema@.dm_key_like_name(a.attname)
        ORDER BY a.attnum
    LOOP
        EXECUTE format('SELECT count(*) FROM (SELECT DISTINCT %I FROM %s WHERE %1$I IS NOT NULL LIMIT 51) s', col.attname, dim)
            INTO n_distinct;
        IF n_distinct BETWEEN 2 AND 50 AND n_distinct < n_rows THEN
            picked := picked || col.attname::text;
        END IF;
        EXIT WHEN cardinality(picked) = 5;
    END LOOP;
    RETURN picked;
END
$$;
COMMENT ON FUNCTION dm_dimension_attributes(regclass, text) IS
    'pipeline internal: the attributes chosen for a dimension with none declared: text, enum or boolean columns, not key-like, with 2 to 50 distinct values and fewer than its rows (at most 5)';

-- The dimensions of a mapping: the declared ones checked (fact column, table, key, attributes),
-- then one per single-column foreign key of the fact table on a column not declared (attributes
-- by dm_dimension_attributes). Each: {column, table, key, attributes, name, source}; the name is
-- product, store or customer for the mapped columns, else the dimension table's name.
CREATE FUNCTION dm_mapping_dimensions(rel regclass, declared jsonb, names jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb;
    dim regclass;
    key text;
    attrs text[];
    a text;
    i int := 0;
    result jsonb := '[]';
    fk record;
BEGIN
    IF declared IS NULL THEN
        declared := '[]';
    END IF;
    IF jsonb_typeof(declared) <> 'array' THEN
        RAISE EXCEPTION 'dimensions must be a JSON array of {"column", "table", "key", "attributes"}'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''[{"column": "product_id", "table": "products", "key": "product_id", "attributes": ["family"]}]''.';
    END IF;
    FOR d IN SELECT e FROM jsonb_array_elements(declared) AS e LOOP
        i := i + 1;
        IF jsonb_typeof(d) <> 'object' OR jsonb_typeof(d->'column') IS DISTINCT FROM 'string'
           OR jsonb_typeof(d->'table') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'dimension % must be an object with a "column" of the fact table and a "table"', i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM @extschema@.dm_mapping_column(rel, d->>'column', format('column of dimension %s', i));
        dim := @extschema@.dm_mapping_relation(d->>'table', 'dimension table');
        key := COALESCE(d->>'key', d->>'column');
        PERFORM @extschema@.dm_mapping_column(dim, key, 'dimension key');
        IF d ? 'attributes' THEN
            IF jsonb_typeof(d->'attributes') <> 'array' THEN
                RAISE EXCEPTION 'the attributes of dimension % must be a JSON array of column names', i
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            attrs := ARRAY(SELECT jsonb_array_elements_text(d->'attributes'));
            FOREACH a IN ARRAY attrs LOOP
                PERFORM @extschema@.dm_mapping_column(dim, a, 'dimension attribute');
            END LOOP;
        ELSE
            attrs := @extschema@.dm_dimension_attributes(dim, key);
        END IF;
        result := result || jsonb_build_object('column', d->>'column', 'table', (SELECT format('%I.%I', n.nspname, c.relname)
                                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = dim),
                                'key', key, 'attributes', to_jsonb(attrs),
                                'name', COALESCE(d->>'name', names->>(d->>'column'), (SELECT relname FROM pg_class WHERE oid = dim)),
                                'source', 'declared');
    END LOOP;
    FOR fk IN
        SELECT a.attname AS fact_column, c.confrelid::regclass AS dim, ka.attname AS key_column,
               n.nspname, r.relname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute ka ON ka.attrelid = c.confrelid AND ka.attnum = c.confkey[1]
        JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE c.conrelid = rel AND c.contype = 'f' AND cardinality(c.conkey) = 1
        ORDER BY a.attnum, c.conname
    LOOP
        CONTINUE WHEN EXISTS (SELECT FROM jsonb_array_elements(result) AS e WHERE e->>'column' = fk.fact_column);
        result := result || jsonb_build_object('column', fk.fact_column, 'table', format('%I.%I', fk.nspname, fk.relname),
                                'key', fk.key_column, 'attributes', to_jsonb(@extschema@.dm_dimension_attributes(fk.dim, fk.key_column)),
                                'name', COALESCE(names->>fk.fact_column, fk.relname::text), 'source', 'foreign key');
    END LOOP;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_mapping_dimensions(regclass, jsonb, jsonb) IS
    'pipeline internal: the declared dimensions checked and the ones discovered from the fact table''s foreign keys, as a JSON array';

-- The mapping of a configuration, checked against the catalog: every name resolved now, so that
-- a missing table or column fails at once with a message naming it.
CREATE FUNCTION dm_mining_mapping(config @extschema@.mining_config) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
    info record;
    time_type text;
    time_key text;
    extra text;
    names jsonb := '{}';
    dimensions jsonb;
BEGIN
    rel := @extschema@.dm_mapping_relation(config.fact_table);
    SELECT c.relkind, c.relpages, c.reltuples, n.nspname, c.relname INTO info
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    PERFORM @extschema@.dm_mapping_column(rel, config.customer_column, 'customer key');
    PERFORM @extschema@.dm_mapping_column(rel, config.order_column, 'order key');
    time_type := @extschema@.dm_mapping_column(rel, config.time_column, 'timestamp');
    -- An integer time column is a yyyymmdd date key (read as a date).
    IF time_type IN ('smallint', 'integer', 'bigint') THEN
        time_key := 'yyyymmdd';
        time_type := 'date';
    ELSE
        time_type := @extschema@.dm_mapping_column(rel, config.time_column, 'timestamp', 'temporal');
    END IF;
    PERFORM @extschema@.dm_mapping_column(rel, config.amount_column, 'amount', 'numeric');
    IF config.quantity_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.quantity_column, 'quantity', 'numeric');
    END IF;
    IF config.line_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.line_column, 'line key');
    END IF;
    IF config.product_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.product_column, 'product key');
        names := names || jsonb_build_object(config.product_column, 'product');
    END IF;
    IF config.store_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.store_column, 'store key');
        names := names || jsonb_build_object(config.store_column, 'store');
    END IF;
    IF config.unit_price_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.unit_price_column, 'unit price', 'numeric');
    END IF;
    names := jsonb_build_object(config.customer_column, 'customer') || names;
    dimensions := @extschema@.dm_mapping_dimensions(rel, config.dimensions, names);
    FOREACH extra IN ARRAY COALESCE(config.extra_features, '{}') LOOP
        PERFORM @extschema@.dm_mapping_column(rel, extra, 'extra feature', 'numeric');
        IF extra IN ('amount', 'quantity', 'hour') THEN
            RAISE EXCEPTION 'extra feature "%" has the name of a built-in line feature', extra
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Map it through a view with another column name.';
        END IF;
    END LOOP;
    RETURN jsonb_build_object(
        'fact_table', format('%I.%I', info.nspname, info.relname),
        'relkind', info.relkind, 'relpages', info.relpages, 'reltuples', info.reltuples,
        'customer_column', config.customer_column, 'order_column', config.order_column,
        'time_column', config.time_column, 'time_type', time_type,
        'amount_column', config.amount_column, 'quantity_column', config.quantity_column,
        'line_column', config.line_column, 'extra_features', to_jsonb(COALESCE(config.extra_features, '{}')))
        || jsonb_build_object('time_key', time_key, 'product_column', config.product_column,
                              'store_column', config.store_column, 'unit_price_column', config.unit_price_column,
                              'dimensions', dimensions);
END
$$;
COMMENT ON FUNCTION dm_mining_mapping(mining_config) IS
    'the mapping of a configuration checked against the catalog (errors name the missing table or column), as JSON';

-- A table or view name resolved with the caller's search_path (the routines that take one pin
-- their own), as a qualified name; the name as given when it does not resolve, so that
-- dm_mapping_relation reports it. Only the name lookup runs under the caller's path.
CREATE FUNCTION dm_resolve_relation(relation_name text, caller_search_path text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
BEGIN
    IF relation_name IS NULL OR caller_search_path IS NULL THEN
        RETURN relation_name;
    END IF;
    PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
    BEGIN
        rel := pg_catalog.to_regclass(relation_name);
    EXCEPTION WHEN invalid_name OR syntax_error OR invalid_schema_name OR feature_not_supported THEN
        rel := NULL;
    END;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF rel IS NULL THEN
        RETURN relation_name;
    END IF;
    RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel);
END
$$;
COMMENT ON FUNCTION dm_resolve_relation(text, text) IS
    'pipeline internal: a table or view name resolved with the given search_path, schema-qualified';

-- Create or replace a configuration. Every name is checked now; the fact table is resolved with
-- the caller's search_path and stored schema-qualified.
CREATE FUNCTION dm_configure_mining(config_name text, fact_table text, customer_column text,
                                    order_column text, time_column text, amount_column text,
                                    quantity_column text, line_column text,
                                    extra_features text[], options jsonb, caller_search_path text,
                                    product_column text DEFAULT NULL, store_column text DEFAULT NULL,
                                    unit_price_column text DEFAULT NULL, dimensions jsonb DEFAULT NULL)
RETURNS @extschema@.mining_config
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config @extschema@.mining_config;
BEGIN
    IF config_name IS NULL OR config_name = '' THEN
        RAISE EXCEPTION 'config_name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    fact_table := @extschema@.dm_resolve_relation(fact_table, caller_search_path);
    -- Dimension tables resolved with the caller's path too, stored schema-qualified.
    IF jsonb_typeof(dimensions) = 'array' THEN
        dimensions := (SELECT COALESCE(jsonb_agg(CASE WHEN jsonb_typeof(d->'table') = 'string'
                                                      THEN d || jsonb_build_object('table', @extschema@.dm_resolve_relation(d->>'table', caller_search_path))
                                                      ELSE d END ORDER BY i), '[]')
                       FROM jsonb_array_elements(dimensions) WITH ORDINALITY AS e(d, i));
    END IF;
    config := ROW(config_name, fact_table, customer_column, order_column, time_column, amount_column,
                  quantity_column, line_column, COALESCE(extra_features, '{}'), COALESCE(options, '{}'),
                  now(), now(), product_column, store_column, unit_price_column, COALESCE(dimensions, '[]'));
    PERFORM @extschema@.dm_mining_mapping(config);
    PERFORM @extschema@.dm_mining_options(config.options);
    INSERT INTO @extschema@.mining_config AS c VALUES (config.*)
    ON CONFLICT ON CONSTRAINT mining_config_pkey DO UPDATE
        SET fact_table = EXCLUDED.fact_table, customer_column = EXCLUDED.customer_column,
            order_column = EXCLUDED.order_column, time_column = EXCLUDED.time_column,
            amount_column = EXCLUDED.amount_column, quantity_column = EXCLUDED.quantity_column,
            line_column = EXCLUDED.line_column, extra_features = EXCLUDED.extra_features,
            options = EXCLUDED.options, updated_at = now(), product_column = EXCLUDED.product_column,
            store_column = EXCLUDED.store_column, unit_price_column = EXCLUDED.unit_price_column,
            dimensions = EXCLUDED.dimensions
    RETURNING c.* INTO config;
    RETURN config;
END
$$;
COMMENT ON FUNCTION dm_configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, text, jsonb) IS
    'pipeline internal: configure_mining with the caller''s search_path';

-- Left without a pinned search_path (see 99_search_path.sql) to pass the caller's on: its body
-- names nothing unqualified.
CREATE FUNCTION configure_mining(config_name text, fact_table text, customer_column text,
                                 order_column text, time_column text, amount_column text,
                                 quantity_column text DEFAULT NULL, line_column text DEFAULT NULL,
                                 extra_features text[] DEFAULT '{}', options jsonb DEFAULT '{}',
                                 product_column text DEFAULT NULL, store_column text DEFAULT NULL,
                                 unit_price_column text DEFAULT NULL, dimensions jsonb DEFAULT '[]')
RETURNS @extschema@.mining_config
LANGUAGE sql
AS $$
    SELECT @extschema@.dm_configure_mining($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                                           pg_catalog.current_setting('search_path'), $11, $12, $13, $14)
$$;
COMMENT ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, jsonb) IS
    'creates or replaces a mining configuration: the fact table (or view), its customer, order, time, amount, quantity, line-key and extra feature columns, options, and the star schema (product, store and unit-price columns, declared dimension tables; others discovered from foreign keys); names are checked now';

-- Pipeline internals ----------------------------------------------------------------------------
-- A mapped number column as the steps see it: float8 when finite and below 1e300 in magnitude
-- (sums of such values cannot overflow), else NULL; the steps skip such values and count them.
-- value: the SQL giving it; ok: SQL true when value is not NULL, without converting (cheaper:
-- the source's expressions are evaluated once per use).
CREATE FUNCTION dm_pipeline_number(rel regclass, col text, OUT value text, OUT ok text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base oid;
    typmod int;
BEGIN
    SELECT @extschema@.dm_base_type(a.atttypid),
           CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END
    INTO base, typmod
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF base IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'money'::regtype) THEN
        value := format(CASE WHEN base = 'money'::regtype THEN '%I::numeric::float8' ELSE '%I::float8' END, col);
        ok := format('%I IS NOT NULL', col);
    ELSIF base = 'numeric'::regtype AND typmod >= 4
          AND ((typmod - 4) >> 16) - (((typmod - 4) & 2047) # 1024) + 1024 <= 300 THEN
        -- numeric(p, s) holds no infinity nor a value of 10^(p - s) or more (s may be negative,
        -- 11 bits signed): with p - s <= 300, only NaN to test.
        ok := format('%I::numeric <> ''NaN''', col);
        value := format('nullif(%I::numeric, ''NaN'')::float8', col);
    ELSE
        -- Two comparisons (abs() would allocate a numeric); NaN fails the second.
        ok := format(CASE WHEN base = 'numeric'::regtype THEN '(%1$I::numeric > -1e300 AND %1$I::numeric < 1e300)'
                          ELSE '(%1$I::float8 > -1e300 AND %1$I::float8 < 1e300)' END, col);
        value := format('CASE WHEN %s THEN %I::float8 END', ok, col);
    END IF;
END
$$;
COMMENT ON FUNCTION dm_pipeline_number(regclass, text) IS
    'pipeline internal: SQL giving a mapped number column as float8, NULL when not finite or beyond 1e300 in magnitude (value), and SQL testing it without converting (ok)';

-- A mapped key column: itself when its type can be hashed (grouped), else its text.
CREATE FUNCTION dm_pipeline_key(rel regclass, col text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN @extschema@.dm_type_hashable(a.atttypid) THEN format('%I', col) ELSE format('%I::text', col) END
    FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION dm_pipeline_key(regclass, text) IS
    'pipeline internal: SQL for a mapped key column, as text when its type has no hash function';

-- The fact columns of the star schema, each once: product, store, then the dimensions' columns.
CREATE FUNCTION dm_pipeline_dimension_columns(m jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(array_agg(c ORDER BY first), '{}')
    FROM (SELECT c, min(i) AS first
          FROM (SELECT m->>'product_column' AS c, 0::bigint AS i UNION ALL SELECT m->>'store_column', 1
                UNION ALL SELECT d->>'column', 1 + i FROM jsonb_array_elements(COALESCE(m->'dimensions', '[]')) WITH ORDINALITY AS e(d, i)) s
          WHERE c IS NOT NULL GROUP BY c) s
$$;
COMMENT ON FUNCTION dm_pipeline_dimension_columns(jsonb) IS
    'pipeline internal: the fact columns of the star schema (product, store, dimension columns), each once; the pipeline source names them dim_1..n';

-- The FROM item every step reads: the fact table's mapped columns under fixed names
-- (customer_key, order_key, ts, amount, amount_ok, quantity, line_key, hour, extra_1..n, unit_price,
-- dim_1..n), sampled
-- in quick mode. Numbers are float8 or NULL (dm_pipeline_number); an infinite timestamp is NULL.
CREATE FUNCTION dm_pipeline_source(ctx jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    cols text[];
    extra text;
    i int := 0;
    pct float8 := (ctx->>'sample_percent')::float8;
    rel text := m->>'fact_table';
    relid regclass := (m->>'fact_table')::regclass;
    from_item text;
    hash_filter text := '';
BEGIN
    cols := ARRAY[@extschema@.dm_pipeline_key(relid, m->>'customer_column') || ' AS customer_key',
                  @extschema@.dm_pipeline_key(relid, m->>'order_column') || ' AS order_key',
                  CASE WHEN m->>'time_key' = 'yyyymmdd'
                       THEN format('(%s)::timestamp AS ts', @extschema@.dm_date_key_sql(quote_ident(m->>'time_column')))
                       ELSE format('CASE WHEN isfinite(%1$I) THEN %1$I END AS ts', m->>'time_column') END,
                  (@extschema@.dm_pipeline_number(relid, m->>'amount_column')).value || ' AS amount',
                  COALESCE((@extschema@.dm_pipeline_number(relid, m->>'amount_column')).ok, 'false') || ' AS amount_ok',
                  CASE WHEN m->>'quantity_column' IS NULL THEN 'NULL::float8 AS quantity'
                       ELSE (@extschema@.dm_pipeline_number(relid, m->>'quantity_column')).value || ' AS quantity' END,
                  CASE WHEN m->>'line_column' IS NOT NULL THEN format('%I::text AS line_key', m->>'line_column')
                       WHEN m->>'relkind' IN ('r', 'm') THEN 'ctid::text AS line_key'
                       WHEN m->>'relkind' = 'p' THEN '(tableoid::regclass::text || '':'' || ctid::text) AS line_key'
                       ELSE 'NULL::text AS line_key' END,
                  CASE WHEN m->>'time_type' = 'date' THEN 'NULL::float8 AS hour'
                       ELSE format('(date_part(''hour'', %1$I) + date_part(''minute'', %1$I) / 60) AS hour',
                                   m->>'time_column') END];
    FOR extra IN SELECT jsonb_array_elements_text(m->'extra_features') LOOP
        i := i + 1;
        cols := cols || format('%s AS extra_%s', (@extschema@.dm_pipeline_number(relid, extra)).value, i);
    END LOOP;
    -- The star schema: the unit price (else amount / quantity) and the dimension columns (dim_1..n,
    -- in the order of dm_pipeline_dimension_columns).
    cols := cols || CASE WHEN m->>'unit_price_column' IS NOT NULL
                         THEN (@extschema@.dm_pipeline_number(relid, m->>'unit_price_column')).value || ' AS unit_price'
                         WHEN m->>'quantity_column' IS NOT NULL
                         THEN format('%s / NULLIF(%s, 0) AS unit_price',
                                     (@extschema@.dm_pipeline_number(relid, m->>'amount_column')).value,
                                     (@extschema@.dm_pipeline_number(relid, m->>'quantity_column')).value)
                         ELSE 'NULL::float8 AS unit_price' END;
    i := 0;
    FOR extra IN SELECT unnest(@extschema@.dm_pipeline_dimension_columns(m)) LOOP
        i := i + 1;
        cols := cols || format('%s AS dim_%s', @extschema@.dm_pipeline_key(relid, extra), i);
    END LOOP;
    from_item := rel;
    IF pct IS NOT NULL AND pct < 100 THEN
        IF m->>'relkind' IN ('r', 'm', 'p') THEN
            -- Whole pages for big tables (fast); rows for small ones (less noisy).
            from_item := format('%s TABLESAMPLE %s (%s) REPEATABLE (%s)', rel,
                                CASE WHEN (m->>'relpages')::bigint >= 1000 THEN 'SYSTEM' ELSE 'BERNOULLI' END,
                                pct, ctx->'options'->>'seed');
        ELSE
            -- Views and foreign tables: a reproducible sample of customers.
            hash_filter := format(' WHERE abs(hashtext(%I::text)::bigint) %% 100000 < %s',
                                  m->>'customer_column', round(pct * 1000));
        END IF;
    END IF;
    RETURN format('(SELECT %s FROM %s%s) AS src', array_to_string(cols, ', '), from_item, hash_filter);
END
$$;
COMMENT ON FUNCTION dm_pipeline_source(jsonb) IS
    'pipeline internal: the sampled or full fact table under the pipeline''s column names';

-- Names of the line features of the anomaly step (and of the correlation matrix).
CREATE FUNCTION dm_pipeline_line_features(ctx jsonb, OUT names text[], OUT expr text, OUT raw_expr text,
                                           OUT raw_ok text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    rel regclass := (m->>'fact_table')::regclass;
    exprs text[] := ARRAY['amount::float8'];
    num record;
    raws text[] := '{}';
    oks text[] := '{}';
    extra text;
    i int := 0;
BEGIN
    names := ARRAY['amount'];
    num := @extschema@.dm_pipeline_number(rel, m->>'amount_column');
    raws := raws || num.value;
    oks := oks || num.ok;
    IF m->>'quantity_column' IS NOT NULL THEN
        names := names || 'quantity'::text;
        exprs := exprs || 'quantity::float8'::text;
        num := @extschema@.dm_pipeline_number(rel, m->>'quantity_column');
        raws := raws || num.value;
        oks := oks || num.ok;
    END IF;
    IF m->>'time_type' <> 'date' THEN
        names := names || 'hour'::text;
        exprs := exprs || 'hour'::text;
        raws := raws || format('(date_part(''hour'', %1$I) + date_part(''minute'', %1$I) / 60)', m->>'time_column');
        oks := oks || format('isfinite(%I)', m->>'time_column');
    END IF;
    FOR extra IN SELECT jsonb_array_elements_text(m->'extra_features') LOOP
        i := i + 1;
        names := names || extra;
        exprs := exprs || format('extra_%s', i);
        num := @extschema@.dm_pipeline_number(rel, extra);
        raws := raws || num.value;
        oks := oks || num.ok;
    END LOOP;
    expr := format('ARRAY[%s]::float8[]', array_to_string(exprs, ', '));
    raw_expr := format('ARRAY[%s]::float8[]', array_to_string(raws, ', '));
    raw_ok := format('(%s)', array_to_string(oks, ' AND '));
END
$$;
COMMENT ON FUNCTION dm_pipeline_line_features(jsonb) IS
    'pipeline internal: names and SQL expressions (over the pipeline source, over the fact table, and the fact table test that every feature is there) of the line features: amount, quantity, hour, extra features';


-- The customers of the pipeline source, in pg_temp.dm_pipeline_customers (dropped at commit):
-- per customer the day of the last purchase, frequency (orders), monetary (sum of amounts),
-- lines, quantity and night lines; for the features and RFM steps. A line without a customer
-- or an order key is skipped; a missing time or amount (NULL, NaN, infinite, beyond 1e300: see
-- dm_pipeline_number) is left out of max(time) and sum(amount); a customer with no time or no
-- amount at all is skipped. All counted in the same scan, and returned as jsonb.
CREATE FUNCTION dm_pipeline_customers(ctx jsonb, with_lines boolean) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    counts jsonb;
BEGIN
    -- Orders first (a hash aggregate), then customers: cheaper than count(DISTINCT order).
    -- Sums in double precision: a numeric sum's state is several times larger (memory).
    -- A source expression is evaluated once per use: amounts are counted by amount_ok (no second
    -- conversion). Lines without a customer or an order key form their own groups, counted then dropped.
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_customers ON COMMIT DROP AS
        WITH orders AS (
            SELECT customer_key, order_key, count(*) AS lines, max(ts) AS last_ts, count(ts) AS time_lines,
                   sum(amount) AS amount, count(*) FILTER (WHERE amount_ok) AS amount_lines
                   %2$s
            FROM %1$s
            GROUP BY 1, 2
        )
        SELECT customer_key::text AS customer_key, max(last_ts) FILTER (WHERE o)::date AS last_day,
               count(*) FILTER (WHERE o) AS frequency, sum(amount) FILTER (WHERE o)::float8 AS monetary,
               sum(lines) FILTER (WHERE o) AS lines, sum(time_lines) FILTER (WHERE o) AS time_lines,
               %3$s,
               sum(lines) AS all_lines, COALESCE(sum(lines) FILTER (WHERE NOT o), 0) AS no_order,
               sum(lines - time_lines) AS no_time, sum(lines - amount_lines) AS no_amount
        FROM (SELECT *, order_key IS NOT NULL AS o FROM orders) AS orders
        GROUP BY 1
        $q$, ctx->>'source',
        CASE WHEN with_lines THEN
            ', sum(quantity) AS quantity, count(quantity) AS quantity_lines,
               count(*) FILTER (WHERE hour < 6 OR hour >= 22) AS night_lines'
        ELSE '' END,
        CASE WHEN with_lines THEN
            'sum(quantity) FILTER (WHERE o)::float8 AS quantity, sum(quantity_lines) FILTER (WHERE o) AS quantity_lines,
             sum(night_lines) FILTER (WHERE o) AS night_lines'
        ELSE 'NULL::float8 AS quantity, NULL::numeric AS quantity_lines, NULL::numeric AS night_lines' END);
    SELECT jsonb_build_object(
               'lines', COALESCE(sum(all_lines), 0),
               'skipped', jsonb_build_object(
                   'lines', COALESCE(sum(all_lines), 0) - COALESCE(sum(lines) FILTER (WHERE used), 0),
                   'customers', count(*) FILTER (WHERE customer_key IS NOT NULL AND NOT used),
                   'missing', jsonb_build_object(
                       'customer_key', COALESCE(sum(all_lines) FILTER (WHERE customer_key IS NULL), 0),
                       'order_key', COALESCE(sum(no_order), 0), 'time', COALESCE(sum(no_time), 0),
                       'amount', COALESCE(sum(no_amount), 0))))
    INTO counts
    FROM (SELECT *, customer_key IS NOT NULL AND last_day IS NOT NULL AND monetary IS NOT NULL AS used
          FROM pg_temp.dm_pipeline_customers) AS c;
    DELETE FROM pg_temp.dm_pipeline_customers WHERE customer_key IS NULL OR last_day IS NULL OR monetary IS NULL;
    RETURN counts;
END
$$;
COMMENT ON FUNCTION dm_pipeline_customers(jsonb, boolean) IS
    'pipeline internal: the customers of the source in a temporary table (with their lines'' quantities and night lines when asked); returns the counts of what was skipped';
-- The histogram of a measure (documented in docs/statistics.md): rule 'log' = bins equal-width
-- in ln(x) over [ln lo, ln hi]; 'fd' = Freedman-Diaconis width 2 IQR n^(-1/3) over [lo, hi], 1
-- to 100 bins (the given bins when the IQR is 0); 'equal' = the given bins over [lo, hi]; 'auto'
-- = log for positive data (lo > 0) with skewness > 1 spanning at least a factor 10, else fd.
-- log needs lo > 0: fd otherwise.
CREATE FUNCTION dm_histogram_rule(rule text, bins int, lo float8, hi float8, skewness float8, p25 float8,
                                  p75 float8, n bigint, OUT rule_used text, OUT bin_count int,
                                  OUT range_lo float8, OUT range_hi float8)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    rule_used := CASE WHEN rule = 'auto' THEN CASE WHEN lo > 0 AND skewness > 1 AND hi / 10 >= lo THEN 'log' ELSE 'fd' END
                      WHEN rule = 'log' AND NOT lo > 0 THEN 'fd'
                      ELSE rule END;
    range_lo := lo;
    range_hi := hi;
    bin_count := bins;
    IF rule_used = 'log' THEN
        range_lo := ln(lo);
        range_hi := ln(hi);
    ELSIF rule_used = 'fd' AND p75 > p25 AND n > 0 THEN
        BEGIN
            bin_count := least(100, greatest(1, ceil((hi / 2 - lo / 2) / ((p75 / 2 - p25 / 2) * 2 * power(n, -1.0 / 3)))))::int;
        EXCEPTION WHEN numeric_value_out_of_range THEN
            bin_count := 100;  -- a range beyond float8 over a tiny IQR
        END;
    END IF;
END
$$;
COMMENT ON FUNCTION dm_histogram_rule(text, int, float8, float8, float8, float8, float8, bigint) IS
    'the histogram rule of a measure (log, fd or equal; auto: log for positive skewed data spanning a factor 10, else Freedman-Diaconis), its bin count and its range (in ln for log)';

-- The orphans of the mapped dimensions: per fact column, the lines whose key is not in the
-- dimension table; one grouped scan of the fact table for all dimensions, keys compared as text.
CREATE FUNCTION dm_profile_orphans(ctx jsonb, pct float8) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    dims jsonb := COALESCE(m->'dimensions', '[]');
    cols text[];
    result jsonb;
BEGIN
    IF jsonb_array_length(dims) = 0 THEN
        RETURN NULL;
    END IF;
    cols := ARRAY(SELECT DISTINCT d->>'column' FROM jsonb_array_elements(dims) AS d);
    EXECUTE format($q$
        WITH g AS MATERIALIZED (
            SELECT array_position(ARRAY[%1$s], 0) AS s, (ARRAY[%2$s])[array_position(ARRAY[%1$s], 0)] AS v, count(*) AS c
            FROM %3$s GROUP BY GROUPING SETS (%4$s)
        )
        SELECT jsonb_build_object(%5$s)
        $q$,
        (SELECT string_agg(format('GROUPING(%I)', c), ', ') FROM unnest(cols) AS c),
        (SELECT string_agg(format('%I::text', c), ', ') FROM unnest(cols) AS c),
        CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', m->>'fact_table', pct,
                                       ctx->'options'->>'seed')
             ELSE m->>'fact_table' END,
        (SELECT string_agg(format('(%I)', c), ', ') FROM unnest(cols) AS c),
        (SELECT string_agg(format('%L, (SELECT COALESCE(sum(g.c), 0) FROM g WHERE g.s = %s AND g.v IS NOT NULL
                                        AND NOT EXISTS (SELECT FROM %s k WHERE k.%I::text = g.v))',
                                  d->>'column', array_position(cols, d->>'column'), (d->>'table')::regclass, d->>'key'), ', ')
         FROM jsonb_array_elements(dims) AS d))
        INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_profile_orphans(jsonb, float8) IS
    'pipeline internal: per mapped dimension column, the fact lines whose key is not in the dimension table';

-- Step: profile. dm_profile of the fact table, histograms of its numeric columns, correlations
-- of the line features.
CREATE FUNCTION dm_step_profile(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    rel regclass := (ctx->'mapping'->>'fact_table')::regclass;
    pct float8 := (ctx->>'sample_percent')::float8;
    bins int := (ctx->'options'->>'histogram_bins')::int;
    n bigint;
    col record;
    parts text[] := '{}';
    names text[] := '{}';
    rules text[] := '{}';
    hist jsonb;
    lf record;
    corr float8[];
    corr_skipped bigint;
    ranges jsonb;
    m jsonb := ctx->'mapping';
    keys text[] := ARRAY[m->>'customer_column', m->>'order_column', m->>'line_column']
                   || @extschema@.dm_pipeline_dimension_columns(m);
    orphan_counts jsonb;
    rule text := COALESCE(ctx->'options'->>'histogram_rule', 'auto');
    hb record;
BEGIN
    IF ctx->'mapping'->>'relkind' NOT IN ('r', 'm', 'p') THEN
        pct := NULL;  -- dm_profile samples tables only; a view is profiled whole
    END IF;
    -- The profile rows, and the finite [min, max] of each number column for its histogram.
    WITH p AS (
        SELECT * FROM @extschema@.dm_profile(rel, CASE WHEN pct < 100 THEN pct END, (ctx->'options'->>'profile_top_n')::int)
    ), ins AS (
        INSERT INTO @extschema@.result_profile
            (run_id, column_name, ordinal, data_type, kind, row_count, null_count, null_fraction,
             distinct_estimate, mean, stddev, p25, p50, p75, min_value, max_value, skewness, kurtosis,
             top_values, histogram, role, distinct_exact, uniqueness)
        SELECT run, p.column_name, p.ordinal, p.data_type, p.kind, p.row_count, p.null_count, p.null_fraction,
               p.distinct_estimate, p.mean, p.stddev, p.p25, p.p50, p.p75, p.min_value, p.max_value,
               (p.stats).skewness, (p.stats).kurtosis, p.top_values, NULL,
               CASE WHEN p.column_name = ANY (keys) AND p.role NOT IN ('date', 'timestamp') THEN 'identifier' ELSE p.role END, p.distinct_exact, p.uniqueness
        FROM p
    )
    SELECT count(*), COALESCE(jsonb_agg(jsonb_build_array(p.column_name, (p.stats).min, (p.stats).max) ORDER BY p.ordinal)
                                  FILTER (WHERE (p.stats).count > 0), '[]')
    INTO n, ranges
    FROM p;
    -- Mapped keys (but dates) are identifiers: no moments, no top values.
    UPDATE @extschema@.result_profile p
    SET mean = NULL, stddev = NULL, p25 = NULL, p50 = NULL, p75 = NULL, skewness = NULL, kurtosis = NULL, top_values = NULL
    WHERE p.run_id = run AND p.column_name = ANY (keys) AND p.role = 'identifier';
    orphan_counts := @extschema@.dm_profile_orphans(ctx, pct);

    -- Equal-width histograms of the numeric columns over [min, max] and the correlations of the
    -- line features, in one more scan.
    lf := @extschema@.dm_pipeline_line_features(ctx);
    -- Over the finite [min, max] of the statistics (dm_stats sets NaN and infinities apart).
    -- Measures: their shape (dm_histogram_rule); dates and timestamps: over time; keys: none.
    FOR col IN
        SELECT p.column_name, p.role, p.skewness, p.p25, p.p75, p.row_count - p.null_count AS n,
               p.min_value, p.max_value, a.atttypid,
               (r.value->>1)::float8 AS lo, (r.value->>2)::float8 AS hi,
               @extschema@.dm_float8_expression(a.atttypid, quote_ident(a.attname)) AS number
        FROM @extschema@.result_profile p
        JOIN pg_attribute a ON a.attrelid = rel AND a.attname = p.column_name
        LEFT JOIN jsonb_array_elements(ranges) AS r(value) ON r.value->>0 = p.column_name
        WHERE p.run_id = run AND p.role IN ('measure', 'date', 'timestamp')
        ORDER BY p.ordinal
    LOOP
        IF col.role = 'measure' AND col.number IS NOT NULL AND col.hi > col.lo
           AND col.lo > '-Infinity'::float8 AND col.hi < 'Infinity'::float8 THEN
            hb := @extschema@.dm_histogram_rule(rule, bins, col.lo, col.hi, col.skewness, col.p25, col.p75, col.n);
            names := names || col.column_name;
            rules := rules || hb.rule_used;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(%s, %s, %s, %s))',
                                     CASE WHEN hb.rule_used = 'log' THEN format('ln(CASE WHEN %1$s > 0 THEN %1$s END)', col.number)
                                          ELSE col.number END,
                                     hb.bin_count, hb.range_lo, hb.range_hi);
        ELSIF col.role IN ('date', 'timestamp') AND col.min_value IS NOT NULL AND col.max_value > col.min_value
              AND col.min_value NOT IN ('infinity', '-infinity') AND col.max_value NOT IN ('infinity', '-infinity')
              AND @extschema@.dm_base_type(col.atttypid) IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                                                              'int4'::regtype, 'int8'::regtype) THEN
            names := names || col.column_name;
            rules := rules || 'time'::text;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(extract(epoch FROM %s), %s, %s, %s))',
                                     CASE WHEN @extschema@.dm_base_type(col.atttypid) IN ('int4'::regtype, 'int8'::regtype)
                                          THEN format('(%s)::timestamp', @extschema@.dm_date_key_sql(quote_ident(col.column_name)))
                                          WHEN @extschema@.dm_base_type(col.atttypid) = 'date'::regtype
                                          THEN format('%I::timestamp', col.column_name)
                                          ELSE format('CASE WHEN isfinite(%1$I) THEN %1$I END', col.column_name) END,
                                     bins, extract(epoch FROM col.min_value::timestamptz),
                                     extract(epoch FROM col.max_value::timestamptz));
        END IF;
    END LOOP;
    -- Lines with a missing or unusable feature (NULL, NaN, infinite, beyond 1e300) are left out
    -- of the correlations and counted.
    EXECUTE format('SELECT jsonb_build_array(%s), %s, %s FROM %s',
                   CASE WHEN cardinality(parts) > 0 THEN array_to_string(parts, ', ') ELSE '' END,
                   CASE WHEN cardinality(lf.names) >= 2
                        THEN format('@extschema@.dm_corr(CASE WHEN %s THEN %s END)', lf.raw_ok, lf.raw_expr)
                        ELSE 'NULL::float8[]' END,
                   CASE WHEN cardinality(lf.names) >= 2
                        THEN format('count(*) FILTER (WHERE %s IS NOT TRUE)', lf.raw_ok)
                        ELSE 'NULL::bigint' END,
                   CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', rel, pct,
                                                  ctx->'options'->>'seed')
                        ELSE rel::text END)
        INTO hist, corr, corr_skipped;
    IF cardinality(parts) > 0 THEN
        UPDATE @extschema@.result_profile p
        SET histogram = jsonb_build_object(
                'rule', rules[h.i], 'counts', h.value->'counts',
                'edges', CASE rules[h.i]
                    WHEN 'log' THEN (SELECT jsonb_agg(exp(e::float8) ORDER BY k) FROM jsonb_array_elements_text(h.value->'edges') WITH ORDINALITY AS x(e, k))
                    WHEN 'time' THEN (SELECT jsonb_agg(to_char(to_timestamp(e::float8) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ORDER BY k)
                                      FROM jsonb_array_elements_text(h.value->'edges') WITH ORDINALITY AS x(e, k))
                    ELSE h.value->'edges' END)
        FROM jsonb_array_elements(hist) WITH ORDINALITY AS h(value, i)
        WHERE p.run_id = run AND p.column_name = names[h.i];
    END IF;
    IF orphan_counts IS NOT NULL THEN
        UPDATE @extschema@.result_profile p SET orphans = (o.value)::bigint
        FROM jsonb_each_text(orphan_counts) AS o WHERE p.run_id = run AND p.column_name = o.key;
    END IF;
    IF corr IS NOT NULL THEN
        INSERT INTO @extschema@.result_correlation (run_id, feature_x, feature_y, correlation)
        SELECT run, lf.names[i], lf.names[j], corr[i][j]
        FROM generate_subscripts(lf.names, 1) AS i, generate_subscripts(lf.names, 1) AS j;
    END IF;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('columns', n, 'histogram_columns', cardinality(names),
                           'histogram_rules', (SELECT jsonb_object_agg(names[i], rules[i]) FROM generate_subscripts(names, 1) AS i),
                           'roles', (SELECT jsonb_object_agg(column_name, role ORDER BY ordinal) FROM @extschema@.result_profile
                                     WHERE run_id = run),
                           'orphans', orphan_counts,
                           'correlation_features', to_jsonb(lf.names), 'sample_percent', pct,
                           'skipped', jsonb_build_object('correlation_lines', corr_skipped)));
END
$$;

-- Step: customer features. Per customer: recency (days from the last purchase to as_of),
-- frequency (distinct orders), monetary (sum of amounts), average basket (monetary / frequency),
-- average quantity per line, share of night lines (22:00-05:59); the clustered vector is
-- the signed log1p of the chosen features.
CREATE FUNCTION dm_step_features(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    chosen text[];
    vector text[] := '{}';
    f text;
    as_of date := (ctx->'options'->>'as_of')::date;
    counts jsonb;
    no_vector bigint;
    lines_without_quantity bigint;
    n bigint;
BEGIN
    IF ctx->'options' ? 'cluster_features' THEN
        SELECT array_agg(x) INTO chosen FROM jsonb_array_elements_text(ctx->'options'->'cluster_features') AS x;
    ELSE
        chosen := ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity'];
    END IF;
    IF ctx->'mapping'->>'quantity_column' IS NULL THEN
        chosen := array_remove(chosen, 'avg_quantity');
    END IF;
    IF ctx->'mapping'->>'time_type' = 'date' THEN
        chosen := array_remove(chosen, 'night_share');
    END IF;
    IF cardinality(chosen) = 0 THEN
        RAISE EXCEPTION 'no customer feature left to cluster' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH f IN ARRAY chosen LOOP
        vector := vector || format('sign(%1$I) * ln(1 + abs(%1$I))', f);
    END LOOP;
    counts := @extschema@.dm_pipeline_customers(ctx, true);
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_customers) THEN
        RAISE EXCEPTION 'no data: no customer with an order key, a time and an amount on its sales lines'
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s lines read, skipped: %s', counts->'lines', counts->'skipped');
    END IF;
    IF as_of IS NULL THEN
        SELECT max(last_day) + 1 INTO as_of FROM pg_temp.dm_pipeline_customers;
    END IF;
    -- A customer whose chosen features are not all defined (no quantity at all) keeps its row,
    -- without a vector: the clustering step skips it.
    EXECUTE format($q$
        INSERT INTO @extschema@.result_customer_features
            (run_id, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share, features)
        SELECT $1, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share,
               CASE WHEN array_position(v, NULL) IS NULL THEN v END
        FROM (SELECT *, ARRAY[%1$s] AS v
              FROM (SELECT customer_key, ($2 - last_day)::float8 AS recency_days, frequency::float8 AS frequency, monetary,
                           monetary / nullif(frequency, 0) AS avg_basket,
                           quantity / nullif(quantity_lines, 0) AS avg_quantity,
                           CASE WHEN $3 THEN NULL ELSE night_lines::float8 / nullif(time_lines, 0) END AS night_share
                    FROM pg_temp.dm_pipeline_customers) AS c) AS cv
        $q$, array_to_string(vector, ', '))
        USING run, as_of, ctx->'mapping'->>'time_type' = 'date';
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_customer_features;  -- fresh statistics for the queries that join on run_id
    SELECT (sum(lines) - sum(quantity_lines))::bigint INTO lines_without_quantity FROM pg_temp.dm_pipeline_customers;
    DROP TABLE pg_temp.dm_pipeline_customers;
    UPDATE @extschema@.runs SET parameters = parameters || jsonb_build_object('as_of', as_of) WHERE run_id = run;
    SELECT count(*) INTO no_vector FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NULL;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('customers', n, 'as_of', as_of, 'feature_names', to_jsonb(chosen), 'transform', 'sign(x) * ln(1 + |x|)',
                           'lines', counts->'lines', 'skipped', counts->'skipped',
                           'customers_without_vector', no_vector)
        || CASE WHEN ctx->'mapping'->>'quantity_column' IS NOT NULL
                THEN jsonb_build_object('lines_without_quantity', lines_without_quantity) ELSE '{}' END);
END
$$;

-- The clustering model: dm_kmeans_auto over [k_min, k_max] (dm_kmeans when k_max is 1) on the
-- customers of the run that have a feature vector.
CREATE FUNCTION dm_pipeline_kmeans(run bigint, k_min int, k_max int, o jsonb) RETURNS @extschema@.kmeans_model
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model @extschema@.kmeans_model;
BEGIN
    IF k_max >= 2 THEN
        SELECT @extschema@.dm_kmeans_auto(features, k_min, k_max,
                                          jsonb_build_object('seed', (o->>'seed')::int, 'scale', true,
                                                             'silhouette_sample', (o->>'silhouette_sample')::int))
        INTO model
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    ELSE
        SELECT @extschema@.dm_kmeans(features, 1, jsonb_build_object('seed', (o->>'seed')::int, 'scale', true))
        INTO model
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    END IF;
    RETURN model;
END
$$;
COMMENT ON FUNCTION dm_pipeline_kmeans(bigint, int, int, jsonb) IS
    'pipeline internal: the K-Means model of the clustering step over a range of k';

-- Step: clustering. K-Means with automatic k (highest silhouette in [k_min, k_max]) on the
-- standardised feature vectors; every customer's cluster and distance.
CREATE FUNCTION dm_step_clustering(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    o jsonb := ctx->'options';
    model @extschema@.kmeans_model;
    info jsonb;
    customers bigint;
    skipped bigint;
    points bigint;
    k_max int;
    k_min int;
    names jsonb;
    n bigint;
BEGIN
    -- Customers without a complete vector (see the features step) are skipped and counted.
    SELECT count(*) FILTER (WHERE features IS NOT NULL), count(*) FILTER (WHERE features IS NULL)
    INTO customers, skipped
    FROM @extschema@.result_customer_features WHERE run_id = run;
    IF customers < 3 THEN
        RAISE EXCEPTION 'no data: clustering needs at least 3 customers with a feature vector, the features step has %', customers
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s customers without a complete feature vector', skipped);
    END IF;
    -- k stays below the number of customers (silhouettes need it): fewer narrow the range.
    k_max := least((o->>'k_max')::int, customers - 1);
    k_min := least((o->>'k_min')::int, k_max);
    BEGIN
        model := @extschema@.dm_pipeline_kmeans(run, k_min, k_max, o);
    EXCEPTION WHEN invalid_parameter_value THEN
        -- k above the number of distinct vectors (customers alike): counted only on this path,
        -- the range narrowed to it; all alike make one cluster.
        SELECT count(DISTINCT features) INTO points
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
        IF points >= k_max THEN
            RAISE;
        END IF;
        k_max := points;
        k_min := least(k_min, k_max);
        IF k_max < 2 THEN
            k_min := 1;
            k_max := 1;
        END IF;
        model := @extschema@.dm_pipeline_kmeans(run, k_min, k_max, o);
    END;
    IF model IS NULL THEN
        RAISE EXCEPTION 'clustering found no customer feature vectors' USING ERRCODE = 'no_data_found';
    END IF;
    info := @extschema@.dm_kmeans_info(model);
    SELECT details->'feature_names' INTO names FROM @extschema@.run_steps WHERE run_id = run AND step = 'features';
    INSERT INTO @extschema@.result_models (run_id, step, kmeans, feature_names)
    VALUES (run, 'clustering', model, ARRAY(SELECT jsonb_array_elements_text(names)));
    INSERT INTO @extschema@.result_kmeans_scores (run_id, k, inertia, silhouette, chosen)
    SELECT run, (s->>'k')::int, (s->>'inertia')::float8, (s->>'silhouette')::float8, (s->>'k')::int = (info->>'k')::int
    FROM jsonb_array_elements(info->'scores') AS s;
    INSERT INTO @extschema@.result_clusters (run_id, customer_key, cluster, distance)
    SELECT run, customer_key, @extschema@.dm_kmeans_assign(model, features), @extschema@.dm_kmeans_distance(model, features)
    FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_clusters;  -- fresh statistics for the queries that join on run_id
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'k', info->'k', 'silhouette', info->'silhouette', 'inertia', info->'inertia',
        'k_min', k_min, 'k_max', k_max, 'customers', customers,
        'skipped', jsonb_build_object('customers', skipped),
        'feature_names', names, 'transform', 'sign(x) * ln(1 + |x|)', 'scaled', true,
        'sampled', info->'sampled', 'iterations', info->'iterations'));
END
$$;

-- Step: cluster profiles. Size, share, mean features, centroid in original units, and a label
-- from the two features that set the cluster most apart (z-score of its mean log feature).
CREATE FUNCTION dm_step_cluster_profiles(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    model @extschema@.kmeans_model;
    names text[];
    n bigint;
BEGIN
    SELECT kmeans, feature_names INTO model, names FROM @extschema@.result_models WHERE run_id = run AND step = 'clustering';
    IF model IS NULL THEN
        RAISE EXCEPTION 'cluster profiles need the clustering step of the same run' USING ERRCODE = 'no_data_found';
    END IF;
    WITH joined AS (
        -- The cluster again from the model (cheaper and safer than a join on fresh rows).
        SELECT @extschema@.dm_kmeans_assign(model, f.features) AS cluster, f.*
        FROM @extschema@.result_customer_features f
        WHERE f.run_id = run AND f.features IS NOT NULL  -- the customers the clustering step skipped have none
    ), logged AS (
        -- Each feature on the clustered scale (signed log1p).
        SELECT j.cluster, v.name, sign(v.x) * ln(1 + abs(v.x)) AS lx
        FROM joined j,
             LATERAL (VALUES ('recency_days', j.recency_days), ('frequency', j.frequency), ('monetary', j.monetary),
                             ('avg_basket', j.avg_basket), ('avg_quantity', j.avg_quantity),
                             ('night_share', j.night_share)) AS v(name, x)
        WHERE v.x IS NOT NULL
    ), overall AS (
        SELECT name, avg(lx) AS mu, stddev_pop(lx) AS sd FROM logged GROUP BY name
    ), z AS (
        SELECT l.cluster, l.name, (avg(l.lx) - o.mu) / nullif(o.sd, 0) AS z
        FROM logged l JOIN overall o USING (name) GROUP BY l.cluster, l.name, o.mu, o.sd
    ), words AS (
        SELECT cluster, name, z,
               CASE name
                   WHEN 'recency_days' THEN CASE WHEN z > 0 THEN 'lapsed' ELSE 'recent' END
                   WHEN 'frequency' THEN CASE WHEN z > 0 THEN 'frequent' ELSE 'infrequent' END
                   WHEN 'monetary' THEN CASE WHEN z > 0 THEN 'high spend' ELSE 'low spend' END
                   WHEN 'avg_basket' THEN CASE WHEN z > 0 THEN 'large baskets' ELSE 'small baskets' END
                   WHEN 'avg_quantity' THEN CASE WHEN z > 0 THEN 'bulk quantities' ELSE 'small quantities' END
                   WHEN 'night_share' THEN CASE WHEN z > 0 THEN 'night buyers' ELSE 'daytime buyers' END
               END AS word,
               row_number() OVER (PARTITION BY cluster ORDER BY abs(z) DESC NULLS LAST, name) AS rn
        FROM z
        WHERE name = ANY (names) OR name IN ('recency_days', 'frequency', 'monetary')
    ), labels AS (
        SELECT cluster,
               COALESCE(string_agg(word, ', ' ORDER BY rn) FILTER (WHERE rn <= 2 AND abs(z) >= 0.5), 'average') AS short_label,
               string_agg(word, ', ' ORDER BY rn) FILTER (WHERE rn <= 3 AND abs(z) >= 0.25) AS long_label
        FROM words GROUP BY cluster
    ), unique_labels AS (
        SELECT cluster,
               CASE WHEN count(*) OVER (PARTITION BY short_label) = 1 THEN short_label
                    WHEN long_label IS NOT NULL AND count(*) OVER (PARTITION BY long_label) = 1 THEN long_label
                    ELSE short_label || ' (' || cluster || ')' END AS label
        FROM labels
    ), centroids AS (
        SELECT c.cluster,
               jsonb_object_agg(names[i], sign(c.centroid[i]) * (exp(abs(c.centroid[i])) - 1)) AS centroid
        FROM @extschema@.dm_kmeans_centroids(model) AS c, generate_subscripts(c.centroid, 1) AS i
        GROUP BY c.cluster
    )
    INSERT INTO @extschema@.result_cluster_profiles
        (run_id, cluster, size, share, label, recency_days, frequency, monetary, avg_basket, avg_quantity,
         night_share, centroid)
    SELECT run, j.cluster, count(*), count(*)::float8 / sum(count(*)) OVER (),
           upper(left(u.label, 1)) || substr(u.label, 2),
           -- Means in numeric: a float8 mean's sum of squares overflows on amounts past 1e154.
           avg(j.recency_days::numeric)::float8, avg(j.frequency::numeric)::float8, avg(j.monetary::numeric)::float8,
           avg(j.avg_basket::numeric)::float8, avg(j.avg_quantity::numeric)::float8, avg(j.night_share::numeric)::float8,
           ce.centroid
    FROM joined j
    LEFT JOIN unique_labels u USING (cluster)
    LEFT JOIN centroids ce USING (cluster)
    GROUP BY j.cluster, u.label, ce.centroid;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object('clusters', n,
        'label_rule', 'the two features whose cluster mean (log scale) is furthest from the overall mean, in standard deviations (at least 0.5)'));
END
$$;

-- Pipeline step: anomalies (and the collecting aggregate it uses).
-- Collects values into an array; parallel safe (the partial arrays are concatenated).
CREATE AGGREGATE dm_pipeline_collect(jsonb) (
    SFUNC = pg_catalog.array_append, STYPE = jsonb[], COMBINEFUNC = pg_catalog.array_cat, PARALLEL = SAFE
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
    fit := format('SELECT @extschema@.dm_iforest(%s, $1) FILTER (WHERE %s), count(*) FROM %s', lf.expr, not_null, fit_source);
    BEGIN
        EXECUTE fit INTO model, n
            USING jsonb_build_object('n_trees', o->'n_trees', 'sample_size', o->'sample_size',
                                     'seed', o->'seed', 'contamination', o->'contamination');
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
    EXECUTE format($q$
        SELECT count(score) AS lines, count(*) - count(score) AS skipped,
               count(*) FILTER (WHERE score > $2) AS flagged,
               @extschema@.dm_histogram(score, 20, 0, 1) AS h,
               @extschema@.dm_pipeline_collect(jsonb_build_object(
                   'line_key', line_key, 'customer_key', customer_key, 'ts', ts::timestamptz, 'amount', amount::float8,
                   'quantity', quantity::float8, 'f', f, 'score', score)) FILTER (WHERE score > $2) AS flagged_lines
        FROM (SELECT *, %1$s AS f FROM %2$s) AS lines
             -- In FROM, the score is computed once per line (not once per use) and in parallel.
             CROSS JOIN LATERAL @extschema@.dm_iforest_score($1, CASE WHEN %3$s THEN lines.f END) AS score
        $q$, lf.expr, ctx->>'source', not_null)
        INTO summary USING model, threshold;
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

-- Step: RFM. From the customer features of the same run when that step ran, else from the
-- fact table; quintile scores with ties equal (dm_rfm_score) and the segment (dm_rfm_segment).
CREATE FUNCTION dm_step_rfm(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    scheme text := ctx->'options'->>'rfm_scheme';
    as_of date := (ctx->'options'->>'as_of')::date;
    from_features boolean;
    counts jsonb;
    n bigint;
BEGIN
    SELECT EXISTS (SELECT FROM @extschema@.run_steps WHERE run_id = run AND step = 'features' AND status = 'succeeded')
    INTO from_features;
    IF from_features THEN
        CREATE TEMP TABLE dm_pipeline_rfm ON COMMIT DROP AS
        SELECT customer_key, recency_days::int AS recency, frequency::bigint AS frequency, monetary
        FROM @extschema@.result_customer_features WHERE run_id = run;
    ELSE
        -- The same customers as the features step (same skipped lines), as_of from them: one scan.
        counts := @extschema@.dm_pipeline_customers(ctx, false);
        IF as_of IS NULL THEN
            SELECT max(last_day) + 1 INTO as_of FROM pg_temp.dm_pipeline_customers;
            UPDATE @extschema@.runs SET parameters = parameters || jsonb_build_object('as_of', as_of) WHERE run_id = run;
        END IF;
        CREATE TEMP TABLE dm_pipeline_rfm ON COMMIT DROP AS
        SELECT customer_key, (as_of - last_day)::int AS recency, frequency, monetary
        FROM pg_temp.dm_pipeline_customers;
        DROP TABLE pg_temp.dm_pipeline_customers;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_rfm) THEN
        RAISE EXCEPTION 'no data: no customer with an order key, a time and an amount on its sales lines'
            USING ERRCODE = 'no_data_found',
                  DETAIL = CASE WHEN counts IS NOT NULL THEN format('%s lines read, skipped: %s', counts->'lines', counts->'skipped') END;
    END IF;
    INSERT INTO @extschema@.result_rfm
        (run_id, customer_key, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score, segment)
    SELECT run, customer_key, recency, frequency, monetary, r, f, m, (f + m) / 2,
           @extschema@.dm_rfm_segment(r, f, m, scheme)
    FROM (SELECT t.*,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY recency DESC) - 1, count(*) OVER ()) AS r,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY frequency) - 1, count(*) OVER ()) AS f,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY monetary) - 1, count(*) OVER ()) AS m
          FROM pg_temp.dm_pipeline_rfm t) AS s;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_rfm;
    DROP TABLE pg_temp.dm_pipeline_rfm;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'customers', n, 'scheme', scheme, 'from', CASE WHEN from_features THEN 'features' ELSE 'fact table' END,
        'tie_rule', 'score = 1 + floor(5 * customers strictly worse / customers)')
        || CASE WHEN counts IS NOT NULL THEN jsonb_build_object('lines', counts->'lines', 'skipped', counts->'skipped')
                ELSE '{}' END);
END
$$;

-- Steps trends and breakdowns share one read of the fact table: the sales lines of the pipeline
-- source (day, hour, order, customer, amount, quantity, dimension columns) copied once into a
-- temporary table, kept across the run's commits when both steps run and dropped by the last.

-- The name of the sales copy of a run.
CREATE FUNCTION dm_pipeline_sales_name(run bigint) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'dm_pipeline_sales_' || run
$$;
COMMENT ON FUNCTION dm_pipeline_sales_name(bigint) IS 'pipeline internal: the name of the temporary sales copy of a run';

-- The sales copy of the run: made now (one read of the source) unless an earlier step made it.
-- Lines without a time or an amount are skipped and counted. keep: survive the commit (another
-- step uses it after). Returns {made, lines, skipped: {time, amount}}.
CREATE FUNCTION dm_pipeline_sales(ctx jsonb, keep boolean) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    name text := @extschema@.dm_pipeline_sales_name(run);
    dims text[] := @extschema@.dm_pipeline_dimension_columns(ctx->'mapping');
    cols text := '';
    counts jsonb;
BEGIN
    IF to_regclass('pg_temp.' || name) IS NOT NULL THEN
        RETURN jsonb_build_object('made', false);
    END IF;
    -- Copies of earlier runs of this session left by a failed step.
    FOR cols IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema()
                AND c.relname LIKE 'dm\_pipeline\_sales\_%' AND c.relkind = 'r' LOOP
        EXECUTE format('DROP TABLE pg_temp.%I', cols);
    END LOOP;
    cols := '';
    FOR i IN 1 .. cardinality(dims) LOOP
        cols := cols || format(', dim_%s', i);
    END LOOP;
    EXECUTE format($q$
        CREATE TEMP TABLE %I %s AS
        SELECT ts::date AS day, extract(hour FROM ts)::int AS hour, order_key, customer_key, amount, quantity,
               unit_price %s, amount_ok
        FROM %s
        $q$, name, CASE WHEN keep THEN '' ELSE 'ON COMMIT DROP' END, cols, ctx->>'source');
    EXECUTE format($q$
        WITH d AS (DELETE FROM pg_temp.%I WHERE day IS NULL OR NOT amount_ok RETURNING day, amount_ok)
        SELECT jsonb_build_object('time', count(*) FILTER (WHERE day IS NULL),
                                  'amount', count(*) FILTER (WHERE day IS NOT NULL AND NOT amount_ok))
        FROM d
        $q$, name) INTO counts;
    EXECUTE format('ANALYZE pg_temp.%I', name);
    RETURN jsonb_build_object('made', true, 'lines', (SELECT reltuples::bigint FROM pg_class
                                                        WHERE oid = to_regclass('pg_temp.' || name)),
                              'skipped', counts);
END
$$;
COMMENT ON FUNCTION dm_pipeline_sales(jsonb, boolean) IS
    'pipeline internal: the temporary sales copy of a run (day, hour, order_key, customer_key, amount, quantity, unit_price, dim_1..n), made by the first of the trends and breakdowns steps';

-- Step: trends. dm_trends over the sales copy: series per day, week and month (trend, growth),
-- seasonality indices of every measure, weekday x hour heatmap (when the time has an hour).
CREATE FUNCTION dm_step_trends(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    sales jsonb;
    rel regclass;
    t jsonb;
    n_series bigint;
    n_seasonality bigint;
    n_heatmap bigint;
BEGIN
    sales := @extschema@.dm_pipeline_sales(ctx, 'breakdowns' = ANY (ARRAY(SELECT jsonb_array_elements_text(ctx->'steps'))));
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    t := @extschema@.dm_trends(rel, 'day', 'amount', 'order_key', 'customer_key',
                               CASE WHEN m->>'quantity_column' IS NOT NULL THEN 'quantity' END,
                               CASE WHEN m->>'time_type' <> 'date' THEN 'hour' END);
    IF jsonb_array_length(t->'series') = 0 THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_trends
        (run_id, grain, period_start, days, revenue, lines, orders, customers, quantity, trend, growth_prev, growth_year)
    SELECT run, s.period_grain, s.period_start, s.days, s.revenue, s.lines, s.orders, s.customers, s.quantity,
           s.trend, s.growth_prev, s.growth_year
    FROM jsonb_to_recordset(t->'series') AS s(period_grain text, period_start date, days int, revenue float8,
                                              lines bigint, orders bigint, customers bigint, quantity float8,
                                              trend float8, growth_prev float8, growth_year float8);
    GET DIAGNOSTICS n_series = ROW_COUNT;
    INSERT INTO @extschema@.result_seasonality
        (run_id, measure, cycle, "position", label, seasonal_index, strength, observations)
    SELECT run, z.measure, z.cycle, z.position, z.label, z.seasonal_index, z.strength, z.observations
    FROM jsonb_to_recordset(t->'seasonality') AS z(measure text, cycle text, "position" int, label text,
                                                   seasonal_index float8, strength float8, observations int);
    GET DIAGNOSTICS n_seasonality = ROW_COUNT;
    INSERT INTO @extschema@.result_heatmap (run_id, isodow, day_name, hour, revenue, lines, orders, revenue_share)
    SELECT run, h.isodow, h.day_name, h.hour, h.revenue, h.lines, h.orders, h.revenue_share
    FROM jsonb_to_recordset(t->'heatmap') AS h(isodow int, day_name text, hour int, revenue float8, lines bigint,
                                               orders bigint, revenue_share float8);
    GET DIAGNOSTICS n_heatmap = ROW_COUNT;
    RETURN jsonb_build_object('rows', n_series, 'details', jsonb_build_object(
        'periods', (SELECT jsonb_object_agg(grain, n) FROM (SELECT grain, count(*) AS n FROM @extschema@.result_trends
                                                            WHERE run_id = run GROUP BY grain) g),
        'seasonality_rows', n_seasonality, 'heatmap_cells', n_heatmap,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;
-- Step: breakdowns. dm_breakdowns over the sales copy of the run (see 46_step_trends.sql), every
-- breakdown in one scan with the dimension tables joined: by product, store and customer key,
-- then by every attribute of every mapped dimension. The top breakdown_rows values of each are
-- kept; the concentration (Gini, top 20% share, ABC counts) is over all values.
CREATE FUNCTION dm_step_breakdowns(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    keep int := (ctx->'options'->>'breakdown_rows')::int;
    dims text[] := @extschema@.dm_pipeline_dimension_columns(m);
    sales jsonb;
    rel regclass;
    specs jsonb := '[]';
    dim_names text[] := '{}';
    attr_names text[] := '{}';
    left_out jsonb := '[]';
    d jsonb;
    a text;
    n bigint;
BEGIN
    sales := @extschema@.dm_pipeline_sales(ctx, false);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    -- The breakdowns: dimension k is named k here, its names kept in dim_names / attr_names.
    IF m->>'product_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'product_column'));
        dim_names := dim_names || 'product'::text;
        attr_names := attr_names || (m->>'product_column');
    END IF;
    IF m->>'store_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'store_column'));
        dim_names := dim_names || 'store'::text;
        attr_names := attr_names || (m->>'store_column');
    END IF;
    specs := specs || jsonb_build_object('column', 'customer_key');
    dim_names := dim_names || 'customer'::text;
    attr_names := attr_names || (m->>'customer_column');
    FOR d IN SELECT e FROM jsonb_array_elements(m->'dimensions') AS e LOOP
        FOR a IN SELECT jsonb_array_elements_text(d->'attributes') LOOP
            IF jsonb_array_length(specs) = 20 THEN  -- dm_breakdowns' limit
                left_out := left_out || jsonb_build_object('dimension', d->>'name', 'attribute', a);
                CONTINUE;
            END IF;
            specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, d->>'column'),
                                                 'table', d->>'table', 'key', d->>'key', 'attribute', a);
            dim_names := dim_names || (d->>'name');
            attr_names := attr_names || a;
        END LOOP;
    END LOOP;
    SELECT jsonb_agg(s || jsonb_build_object('name', i::text) ORDER BY i) INTO specs
    FROM jsonb_array_elements(specs) WITH ORDINALITY AS e(s, i);

    CREATE TEMP TABLE dm_pipeline_breakdowns ON COMMIT DROP AS
    SELECT b.dimension::int AS k, b.* FROM @extschema@.dm_breakdowns(rel, 'amount', specs, 'day', 'customer_key', 'month') b;
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_breakdowns) THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_breakdowns
        (run_id, dimension, attribute, value, revenue, lines, customers, share, cumulative_share, "rank", growth, abc_class)
    SELECT run, dim_names[b.k], attr_names[b.k], b.value, b.revenue, b.lines, b.customers, b.share, b.cumulative_share,
           b.rank, b.growth, b.abc_class
    FROM pg_temp.dm_pipeline_breakdowns b
    WHERE b.rank <= keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO @extschema@.result_concentration
        (run_id, dimension, attribute, items, revenue, gini, top20_share, a_items, b_items, c_items, a_share)
    SELECT run, dim_names[b.k], attr_names[b.k], count(*), sum(b.revenue), @extschema@.dm_gini(array_agg(b.revenue)),
           @extschema@.dm_top_share(array_agg(b.revenue), 0.2), count(*) FILTER (WHERE b.abc_class = 'A'),
           count(*) FILTER (WHERE b.abc_class = 'B'), count(*) FILTER (WHERE b.abc_class = 'C'),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'A'), 0)
    FROM pg_temp.dm_pipeline_breakdowns b
    GROUP BY b.k;
    DROP TABLE pg_temp.dm_pipeline_breakdowns;
    EXECUTE format('DROP TABLE %s', rel);
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'breakdowns', (SELECT jsonb_agg(jsonb_build_object('dimension', dim_names[i], 'attribute', attr_names[i]) ORDER BY i)
                       FROM generate_subscripts(dim_names, 1) AS i),
        'rows_kept_per_breakdown', keep, 'left_out', left_out,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;
-- Pipeline: comments on the step functions.
DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns'] LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.dm_step_%s(jsonb) IS %L', f,
                       format('pipeline internal: the %s step of run_mining', f));
    END LOOP;
END
$comments$;

-- Claims: one run at a time per configuration ------------------------------------------------------
-- Whether a claim of run_claims is alive: its session holds its advisory lock (pg_locks shows
-- every session's locks to every role) and is inside a transaction (a run is one CALL, always in
-- a transaction: an idle session holds no virtualxid lock), and is not visibly idle. A session
-- between two transactions of its run lacks a virtualxid for an instant: looked for 3 times.
-- (With check_idle false: only whether the session holds the lock.)
CREATE FUNCTION dm_run_claim_alive(holder_pid int, lock_key bigint, check_idle boolean DEFAULT true) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    in_xact boolean;
BEGIN
    IF holder_pid IS NULL OR lock_key IS NULL OR NOT EXISTS (
           SELECT FROM pg_locks l
           WHERE l.locktype = 'advisory' AND l.pid = holder_pid AND l.granted AND l.objsubid = 1
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND l.classid = ((lock_key >> 32) & 4294967295)::oid AND l.objid = (lock_key & 4294967295)::oid) THEN
        RETURN false;
    END IF;
    IF NOT check_idle THEN
        RETURN true;
    END IF;
    IF EXISTS (SELECT FROM pg_stat_activity a
               WHERE a.pid = holder_pid AND a.state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')) THEN
        RETURN false;
    END IF;
    FOR attempt IN 1 .. 3 LOOP
        SELECT EXISTS (SELECT FROM pg_locks l WHERE l.locktype = 'virtualxid' AND l.pid = holder_pid AND l.granted)
        INTO in_xact;
        EXIT WHEN in_xact;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN in_xact;
END
$$;

-- Releases every hold of this session on an advisory lock key (no table lock: cannot block).
CREATE FUNCTION dm_run_unlock(lock_key bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WHILE lock_key IS NOT NULL AND @extschema@.dm_run_claim_alive(pg_backend_pid(), lock_key, false) LOOP
        PERFORM pg_advisory_unlock(lock_key);
    END LOOP;
END
$$;

-- Claims a configuration for this session or fails with 55P03 naming the run in progress. The
-- lock key is new and random at every claim: a key seen in pg_locks is worth nothing later.
-- Runs of the configuration left 'running' by a session that no longer holds its claim are
-- marked failed (abandoned). Returns the key of the session advisory lock now held.
CREATE FUNCTION dm_run_claim(config text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c @extschema@.run_claims;
    other record;
    k bigint;
    abandoned constant text := 'abandoned: the session running it ended or stopped before it finished';
BEGIN
    INSERT INTO @extschema@.run_claims (config_name) VALUES (config) ON CONFLICT DO NOTHING;
    -- Claims serialise on this row; FOR UPDATE needs the UPDATE privilege of the pipeline's roles.
    SELECT * INTO c FROM @extschema@.run_claims r WHERE r.config_name = config FOR UPDATE;
    IF c.holder_pid IS DISTINCT FROM pg_backend_pid() AND @extschema@.dm_run_claim_alive(c.holder_pid, c.lock_key) THEN
        SELECT r.run_id, r.started_at INTO other FROM @extschema@.runs r WHERE r.run_id = c.run_id;
        RAISE EXCEPTION 'mining configuration "%" is already being run%', config,
                        CASE WHEN other.run_id IS NOT NULL
                             THEN format(' (run %s, started %s, backend %s)', other.run_id, other.started_at, c.holder_pid)
                             ELSE format(' (backend %s)', c.holder_pid) END
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Wait for that run to finish (see dmine.runs); runs of other configurations may go on at the same time.';
    END IF;
    -- Locks of this session's earlier runs that could not be released (a cancel that came during
    -- a COMMIT ends the CALL at once): this session is running nothing else now.
    IF c.holder_pid = pg_backend_pid() THEN
        PERFORM @extschema@.dm_run_unlock(c.lock_key);
    END IF;
    PERFORM @extschema@.dm_run_unlock(NULLIF(current_setting('dmine_run.lock_key', true), '')::bigint);
    LOOP
        k := ('x' || translate(left(gen_random_uuid()::text, 18), '-', ''))::bit(64)::bigint;
        EXIT WHEN pg_try_advisory_lock(k);
    END LOOP;
    BEGIN
        UPDATE @extschema@.run_claims r
        SET lock_key = k, holder_pid = pg_backend_pid(), run_id = NULL, claimed_at = clock_timestamp()
        WHERE r.config_name = config;
        PERFORM set_config('dmine_run.lock_key', k::text, false);  -- for the session, once committed
        IF EXISTS (SELECT FROM @extschema@.runs r WHERE r.config_name = config AND r.status = 'running') THEN
            UPDATE @extschema@.run_steps s SET status = 'failed', finished_at = clock_timestamp(), error = abandoned
            WHERE s.status = 'running'
              AND s.run_id IN (SELECT r.run_id FROM @extschema@.runs r WHERE r.config_name = config AND r.status = 'running');
            UPDATE @extschema@.runs r SET status = 'failed', finished_at = clock_timestamp(), error = abandoned
            WHERE r.config_name = config AND r.status = 'running';
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(k);
        RAISE;
    END;
    RETURN k;
END
$$;

-- Ends this session's claim of a configuration.
CREATE FUNCTION dm_run_release(config text, lock_key bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.dm_run_unlock(lock_key);
    UPDATE @extschema@.run_claims r SET holder_pid = NULL, lock_key = NULL, run_id = NULL, claimed_at = NULL
    WHERE r.config_name = config AND r.holder_pid = pg_backend_pid() AND r.lock_key = dm_run_release.lock_key;
END
$$;

-- Run bookkeeping -----------------------------------------------------------------------------------
-- Each is called in its own exception block by run_mining: any of them may fail (a lock_timeout,
-- a cancel) without stopping the others or keeping the claim.
CREATE FUNCTION dm_run_step_failed(run bigint, step_name text, pos int, t0 timestamptz, message text,
                                   sqlstate text, detail text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.run_steps AS s (run_id, step, position, status, started_at, finished_at, duration_ms,
                                            error, details)
    VALUES (run, step_name, pos, 'failed', t0, clock_timestamp(), 1000 * extract(epoch FROM clock_timestamp() - t0),
            message || CASE WHEN detail <> '' THEN ' (' || detail || ')' ELSE '' END,
            jsonb_build_object('sqlstate', sqlstate))
    ON CONFLICT (run_id, step) DO UPDATE
        SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
            error = EXCLUDED.error, details = EXCLUDED.details, rows = NULL
$$;

-- Logs the steps of a run not logged yet as skipped, with the reason.
CREATE FUNCTION dm_run_steps_skipped(run bigint, step_names text[], first_position int, reason text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.run_steps (run_id, step, position, status, details)
    SELECT run, s, first_position + i::int - 1, 'skipped', jsonb_build_object('reason', reason)
    FROM unnest(step_names) WITH ORDINALITY AS a(s, i)
    ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION dm_run_finished(run bigint, status text, error text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE @extschema@.runs r SET status = dm_run_finished.status, finished_at = clock_timestamp(),
           error = dm_run_finished.error
    WHERE r.run_id = run
$$;

-- Raises an error with the given message, SQLSTATE, detail and hint (the last two may be empty).
CREATE FUNCTION dm_run_raise(message text, sqlstate text, detail text, hint text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF COALESCE(detail, '') = '' AND COALESCE(hint, '') = '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = sqlstate;
    ELSIF COALESCE(hint, '') = '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = sqlstate, DETAIL = detail;
    ELSIF COALESCE(detail, '') = '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = sqlstate, HINT = hint;
    ELSE
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = sqlstate, DETAIL = detail, HINT = hint;
    END IF;
END
$$;

-- The run -----------------------------------------------------------------------------------------
-- CALL run_mining('config') or CALL run_mining(fact_table => ..., customer_column => ..., ...).
-- Commits after every step; call it outside a transaction block. One run at a time per
-- configuration: a second call gets an error (SQLSTATE 55P03) instead of waiting.
-- A procedure with a SET clause cannot COMMIT, so search_path is pinned in the body instead,
-- transaction-locally after every COMMIT, before any other statement; the caller's path is kept
-- only to resolve fact_table. Once the configuration is claimed, every statement but the COMMITs
-- runs in an exception block that also catches cancels: the run is logged as failed and the claim
-- released, then the error is raised.
CREATE PROCEDURE run_mining(
    config_name text DEFAULT NULL,
    mode text DEFAULT 'full',
    steps text[] DEFAULT NULL,
    fact_table text DEFAULT NULL,
    customer_column text DEFAULT NULL,
    order_column text DEFAULT NULL,
    time_column text DEFAULT NULL,
    amount_column text DEFAULT NULL,
    quantity_column text DEFAULT NULL,
    line_column text DEFAULT NULL,
    extra_features text[] DEFAULT NULL,
    options jsonb DEFAULT NULL,
    INOUT run_id bigint DEFAULT NULL,
    product_column text DEFAULT NULL,
    store_column text DEFAULT NULL,
    unit_price_column text DEFAULT NULL,
    dimensions jsonb DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    all_steps constant text[] := ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends',
                                       'breakdowns'];
    caller_path text;
    pinned text;
    v_config text;
    v_mode text;
    v_steps text[];
    v_options jsonb;
    v_run bigint;
    cfg @extschema@.mining_config;
    mapping jsonb;
    ctx jsonb;
    lock_key bigint;
    step_name text;
    needed text;
    pos int;
    n_steps int;
    t0 timestamptz;
    result jsonb;
    unavailable text[] := '{}';  -- steps failed, or skipped because of a failure
    failures text[] := '{}';
    failed_steps text[] := '{}';
    stop boolean := false;       -- cancelled, or the log cannot be written: no more steps
    e_message text;
    e_state text;
    e_detail text;
    e_hint text;
    f_message text;              -- the first failure, raised at the end
    f_state text;
    f_detail text;
    f_hint text;
BEGIN
    -- Fails here ("invalid transaction termination") when called inside a transaction block.
    COMMIT;
    caller_path := pg_catalog.current_setting('search_path');
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_config := config_name;
    v_mode := COALESCE(mode, 'full');
    n_steps := cardinality(all_steps);

    -- The configuration: given by name, or by a mapping (saved under config_name, by default the
    -- fact table's name).
    IF fact_table IS NOT NULL THEN
        v_config := COALESCE(v_config, fact_table);
        PERFORM @extschema@.dm_configure_mining(v_config, fact_table, customer_column, order_column, time_column,
                                                amount_column, quantity_column, line_column,
                                                COALESCE(extra_features, '{}'), COALESCE(options, '{}'), caller_path,
                                                product_column, store_column, unit_price_column, dimensions);
        options := NULL;
    ELSIF customer_column IS NOT NULL OR order_column IS NOT NULL OR time_column IS NOT NULL
          OR amount_column IS NOT NULL OR quantity_column IS NOT NULL OR line_column IS NOT NULL
          OR extra_features IS NOT NULL OR product_column IS NOT NULL OR store_column IS NOT NULL
          OR unit_price_column IS NOT NULL OR dimensions IS NOT NULL THEN
        RAISE EXCEPTION 'a column mapping needs fact_table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give fact_table with the columns, or only the name of a configuration.';
    END IF;
    IF v_config IS NULL THEN
        RAISE EXCEPTION 'run_mining needs a configuration name or a fact_table with its columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'CALL dmine.run_mining(''name'') runs a configuration made with dmine.configure_mining(...).';
    END IF;
    SELECT * INTO cfg FROM @extschema@.mining_config c WHERE c.config_name = v_config;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mining configuration "%" does not exist', v_config
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with dmine.configure_mining(...) or pass fact_table and its columns; see dmine.mining_config.';
    END IF;
    mapping := @extschema@.dm_mining_mapping(cfg);
    v_options := @extschema@.dm_mining_options(cfg.options || COALESCE(options, '{}'));

    IF v_mode NOT IN ('full', 'quick') THEN
        RAISE EXCEPTION 'mode must be ''full'' or ''quick'', got "%"', v_mode USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF steps IS NULL THEN
        v_steps := all_steps;
    ELSE
        IF cardinality(steps) = 0 THEN
            RAISE EXCEPTION 'steps must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOREACH step_name IN ARRAY steps LOOP
            IF step_name IS NULL OR NOT step_name = ANY (all_steps) THEN
                RAISE EXCEPTION 'unknown step "%"', step_name
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Steps: ' || array_to_string(all_steps, ', ') || '.';
            END IF;
        END LOOP;
        v_steps := ARRAY(SELECT s FROM unnest(all_steps) WITH ORDINALITY AS a(s, i) WHERE s = ANY (steps) ORDER BY i);
        IF 'clustering' = ANY (v_steps) AND NOT 'features' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "clustering" needs step "features" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF 'cluster_profiles' = ANY (v_steps) AND NOT 'clustering' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "cluster_profiles" needs step "clustering" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    -- Claim the configuration (a session advisory lock, kept across the commits) and log the run.
    BEGIN
        lock_key := @extschema@.dm_run_claim(v_config);
        INSERT INTO @extschema@.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
        VALUES (v_config, v_mode, v_steps, 'running', mapping,
                v_options || jsonb_build_object('sample_percent',
                                                CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END),
                pg_backend_pid())
        RETURNING runs.run_id INTO v_run;
        UPDATE @extschema@.run_claims c SET run_id = v_run WHERE c.config_name = v_config;
        ctx := jsonb_build_object('run_id', v_run, 'mapping', mapping, 'options', v_options, 'mode', v_mode, 'steps', v_steps,
                                  'sample_percent', CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END);
        ctx := ctx || jsonb_build_object('source', @extschema@.dm_pipeline_source(ctx));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_unlock(lock_key);
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;
    COMMIT;

    -- search_path is pinned again first thing after every COMMIT. PL/pgSQL serves interrupts at
    -- the start of every statement, so a cancel that comes during a COMMIT ends the CALL at the
    -- next statement, outside any exception block: that session is then idle, which ends its
    -- claim (dm_run_claim_alive), and its next claim releases its lock (dmine_run.lock_key).
    FOR i IN 1 .. n_steps LOOP  -- (no expression here: it runs before the path is pinned)
        BEGIN
            pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            pos := i;
            step_name := all_steps[pos];
            e_message := NULL;
            t0 := NULL;
            -- clustering needs features, cluster_profiles needs clustering; the others stand alone.
            needed := CASE step_name WHEN 'clustering' THEN 'features' WHEN 'cluster_profiles' THEN 'clustering' END;
            IF NOT step_name = ANY (v_steps) OR needed = ANY (unavailable) THEN
                IF step_name = ANY (v_steps) THEN
                    unavailable := unavailable || step_name;
                END IF;
                PERFORM @extschema@.dm_run_steps_skipped(v_run, ARRAY[step_name], pos,
                    CASE WHEN step_name = ANY (v_steps) THEN format('step %s failed', needed) ELSE 'not selected' END);
            ELSE
                t0 := clock_timestamp();
                INSERT INTO @extschema@.run_steps (run_id, step, position, status, started_at)
                VALUES (v_run, step_name, pos, 'running', t0);
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            pos := i;
            step_name := all_steps[i];
        END;
        IF e_message IS NULL AND t0 IS NOT NULL THEN
            COMMIT;
            BEGIN
                pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                -- The step's as_of may have been set by the features step.
                ctx := jsonb_set(ctx, '{options,as_of}',
                                 COALESCE((SELECT r.parameters->'as_of' FROM @extschema@.runs r WHERE r.run_id = v_run), 'null'));
                EXECUTE format('SELECT @extschema@.dm_step_%s($1)', step_name) INTO result USING ctx;
                UPDATE @extschema@.run_steps s
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
                    rows = (result->>'rows')::bigint, details = result->'details'
                WHERE s.run_id = v_run AND s.step = step_name;
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            END;
        END IF;
        IF e_message IS NOT NULL THEN
            -- The step failed (its work is rolled back) or could not be logged.
            BEGIN
                failed_steps := failed_steps || step_name;
                unavailable := unavailable || step_name;
                failures := failures || format('step %s failed: %s', step_name, e_message);
                IF f_message IS NULL THEN
                    f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
                END IF;
                stop := e_state = '57014';  -- a cancel or statement_timeout stops the run
                PERFORM @extschema@.dm_run_step_failed(v_run, step_name, pos, t0, e_message, e_state, e_detail);
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                stop := true;  -- the log cannot be written (a lock_timeout, a cancel): give up
            END;
        END IF;
        EXIT WHEN stop;
        COMMIT;
    END LOOP;

    -- The outcome, then the claim released: each guarded on its own.
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_finished(v_run, CASE WHEN cardinality(failures) = 0 THEN 'succeeded' ELSE 'failed' END,
                                           NULLIF(array_to_string(failures, '; '), ''));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        IF f_message IS NULL THEN
            f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
            failed_steps := ARRAY['(the run log)'];
        END IF;
    END;
    IF stop THEN
        BEGIN
            PERFORM @extschema@.dm_run_steps_skipped(v_run, all_steps[pos + 1:], pos + 1, 'the run was stopped');
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            NULL;  -- the run's status says it; the steps stay as they are
        END;
    END IF;
    COMMIT;
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_release(v_config, lock_key);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(lock_key);  -- the claim row stays, and is dead without the lock
    END;
    COMMIT;
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    IF f_message IS NOT NULL THEN
        PERFORM @extschema@.dm_run_raise(
            format('mining run %s (configuration "%s") failed at step%s %s: %s', v_run, v_config,
                   CASE WHEN cardinality(failed_steps) > 1 THEN 's' ELSE '' END, array_to_string(failed_steps, ', '),
                   CASE WHEN cardinality(failures) > 1 THEN array_to_string(failures, '; ') ELSE f_message END),
            f_state, f_detail, f_hint);
    END IF;
    run_id := v_run;
END
$$;
COMMENT ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint, text, text, text, jsonb) IS
    'runs the mining pipeline (profile, features, clustering, cluster_profiles, anomalies, rfm, trends, breakdowns) on a configuration or a mapping; mode full or quick; commits after every step; returns the run id';

COMMENT ON FUNCTION dm_run_claim_alive(int, bigint, boolean) IS
    'pipeline internal: whether a session holds a run claim''s advisory lock and is inside a transaction (not idle)';
COMMENT ON FUNCTION dm_run_unlock(bigint) IS 'pipeline internal: releases this session''s holds on a run claim''s advisory lock';
COMMENT ON FUNCTION dm_run_claim(text) IS
    'pipeline internal: claims a configuration for a run (random advisory lock key recorded in run_claims) or fails with 55P03';
COMMENT ON FUNCTION dm_run_release(text, bigint) IS 'pipeline internal: ends this session''s claim of a configuration';
COMMENT ON FUNCTION dm_run_step_failed(bigint, text, int, timestamptz, text, text, text) IS
    'pipeline internal: logs a step as failed, with its error and SQLSTATE';
COMMENT ON FUNCTION dm_run_steps_skipped(bigint, text[], int, text) IS
    'pipeline internal: logs the steps of a run not logged yet as skipped, with the reason';
COMMENT ON FUNCTION dm_run_finished(bigint, text, text) IS 'pipeline internal: logs the outcome of a run';
COMMENT ON FUNCTION dm_run_raise(text, text, text, text) IS
    'pipeline internal: raises an error with a message, SQLSTATE, detail and hint (the last two may be empty)';
-- Pipeline administration: purging old runs, read-only access, and who may execute what.
-- Delete old runs (and their results), keeping the latest keep_last runs of every configuration,
-- its latest successful run, and every run still running.
CREATE FUNCTION purge_runs(keep_last int DEFAULT 10) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF keep_last IS NULL THEN
        RAISE EXCEPTION 'keep_last must not be NULL' USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Give how many of the latest runs of each configuration to keep, at least 1.';
    END IF;
    IF keep_last < 1 THEN
        RAISE EXCEPTION 'keep_last must be at least 1, got %', keep_last USING ERRCODE = 'invalid_parameter_value',
              HINT = 'The latest successful run of each configuration is kept anyway.';
    END IF;
    WITH ranked AS (
        SELECT r.run_id, r.status,
               row_number() OVER (PARTITION BY r.config_name ORDER BY r.run_id DESC) AS rn,
               max(r.run_id) FILTER (WHERE r.status = 'succeeded') OVER (PARTITION BY r.config_name) AS last_good
        FROM @extschema@.runs r
    ), deleted AS (
        DELETE FROM @extschema@.runs d USING ranked k
        WHERE d.run_id = k.run_id AND k.rn > keep_last AND k.status <> 'running'
          AND k.run_id IS DISTINCT FROM k.last_good
        RETURNING 1
    )
    SELECT count(*) INTO n FROM deleted;
    RETURN n;
END
$$;
COMMENT ON FUNCTION purge_runs(int) IS
    'deletes the runs (with their results) older than the latest keep_last (at least 1) of each configuration, never a configuration''s latest successful run nor a running one; returns how many';

-- A read-only role for dashboards: the latest_* views and nothing else.
CREATE FUNCTION grant_read_access(role_name name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
    FOR v IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'latest\_%'
             ORDER BY 1 LOOP
        EXECUTE format('GRANT SELECT ON @extschema@.%I TO %I', v, role_name);
    END LOOP;
END
$$;
COMMENT ON FUNCTION grant_read_access(name) IS
    'lets a role read the latest_* views (USAGE on the schema, SELECT on each view) and nothing else of dmine';

REVOKE EXECUTE ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION dm_configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_runs(int) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION dm_run_claim(text), dm_run_release(text, bigint),
    dm_run_step_failed(bigint, text, int, timestamptz, text, text, text), dm_run_steps_skipped(bigint, text[], int, text),
    dm_run_finished(bigint, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION grant_read_access(name) FROM PUBLIC;
DO $revoke$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.dm_step_%s(jsonb) FROM PUBLIC', f);
    END LOOP;
END
$revoke$;
-- The demo ERP warehouse: create_demo_warehouse builds a distribution company's star schema
-- (customers, products, depots, dates, sales lines) with planted, documented ground truth:
-- customer groups with distinct buying behaviour, seasonality, and anomalous lines.

-- A reproducible uniform number in [0, 1) from a key and a stream (no session state, parallel safe).
-- Not STRICT, so that it is inlined (least() is not strict).
CREATE FUNCTION dm_demo_uniform(key bigint, stream bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT least(pg_catalog.hashint8extended(key, stream)::float8 / 18446744073709551616.0 + 0.5, 0.999999999999) $$;
COMMENT ON FUNCTION dm_demo_uniform(bigint, bigint) IS
    'reproducible uniform number in [0, 1) from a key and a stream, used by create_demo_warehouse';

CREATE FUNCTION create_demo_warehouse(schema_name text DEFAULT 'erp_demo', scale float8 DEFAULT 1,
                                      seed int DEFAULT 42)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the generating queries are cheap but look expensive to the planner
SET client_min_messages = warning
SET parallel_tuple_cost = 0.001  -- generating is the work: let workers do it
SET parallel_setup_cost = 10
AS $fn$
DECLARE
    s text := quote_ident(schema_name);
    customers int;
    products int := 240;
    depots int := 12;
    prices float8[];
    r0 bigint := seed::bigint * 1000;  -- first random stream of this seed
    marker text := 'dmine demo ERP warehouse';
    existing text;
BEGIN
    IF schema_name IS NULL OR schema_name = '' THEN
        RAISE EXCEPTION 'schema_name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF scale IS NULL OR NOT (scale > 0 AND scale <= 100) THEN
        RAISE EXCEPTION 'scale must be in (0, 100], got %', scale USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL OR seed < 0 OR seed > 1000000 THEN
        RAISE EXCEPTION 'seed must be between 0 and 1000000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Replace an earlier demo warehouse, never anything else.
    SELECT obj_description(n.oid, 'pg_namespace') INTO existing FROM pg_namespace n WHERE n.nspname = schema_name;
    IF FOUND THEN
        IF existing IS NULL OR existing NOT LIKE marker || '%' THEN
            RAISE EXCEPTION 'schema "%" exists and is not a dmine demo warehouse', schema_name
                USING ERRCODE = 'duplicate_schema', HINT = 'Choose another schema_name.';
        END IF;
        EXECUTE format('DROP SCHEMA %s CASCADE', s);
    END IF;
    EXECUTE format('CREATE SCHEMA %s', s);
    customers := greatest(30, round(5000 * scale))::int;

    -- Dimensions -----------------------------------------------------------------------------
    EXECUTE format($q$
        CREATE TABLE %1$s.regions (region_id int PRIMARY KEY, region_name text NOT NULL);
        INSERT INTO %1$s.regions VALUES (1, 'North'), (2, 'East'), (3, 'South'), (4, 'West'), (5, 'Central');
        CREATE TABLE %1$s.depots (depot_id int PRIMARY KEY, depot_name text NOT NULL, city text NOT NULL,
                                  region_id int NOT NULL REFERENCES %1$s.regions);
        INSERT INTO %1$s.depots VALUES
            (1, 'Lille depot', 'Lille', 1), (2, 'Rouen depot', 'Rouen', 1),
            (3, 'Strasbourg depot', 'Strasbourg', 2), (4, 'Nancy depot', 'Nancy', 2),
            (5, 'Marseille depot', 'Marseille', 3), (6, 'Toulouse depot', 'Toulouse', 3),
            (7, 'Nice depot', 'Nice', 3), (8, 'Nantes depot', 'Nantes', 4),
            (9, 'Rennes depot', 'Rennes', 4), (10, 'Bordeaux depot', 'Bordeaux', 4),
            (11, 'Paris depot', 'Paris', 5), (12, 'Lyon depot', 'Lyon', 5);
        CREATE TABLE %1$s.dates AS
        SELECT d::date AS date_key, extract(year FROM d)::int AS year, extract(quarter FROM d)::int AS quarter,
               extract(month FROM d)::int AS month, to_char(d, 'FMMonth') AS month_name,
               extract(week FROM d)::int AS iso_week, extract(isodow FROM d)::int AS day_of_week,
               to_char(d, 'FMDay') AS day_name, extract(isodow FROM d) >= 6 AS is_weekend
        FROM generate_series(date '2023-01-01', date '2024-12-31', interval '1 day') AS d;
        ALTER TABLE %1$s.dates ADD PRIMARY KEY (date_key);
        CREATE TABLE %1$s.products AS
        SELECT p AS product_id,
               fam.name || ' ' || lpad(((p - 1) %% 30 + 1)::text, 2, '0') AS product_name,
               fam.name AS family,
               round(least(250, greatest(0.5, fam.price * exp(0.8 * sqrt(-2 * ln(greatest(@extschema@.dm_demo_uniform(p, %2$s), 1e-12)))
                                                     * cos(2 * pi() * @extschema@.dm_demo_uniform(p, %2$s + 1)))))::numeric, 2) AS list_price
        FROM generate_series(1, %3$s) AS p,
             LATERAL (SELECT (ARRAY['Beverages', 'Groceries', 'Dairy & Fresh', 'Hygiene', 'Household',
                                    'Hardware', 'Office Supplies', 'Garden'])[(p - 1) / 30 + 1] AS name,
                             (ARRAY[6, 8, 5, 9, 12, 30, 15, 25])[(p - 1) / 30 + 1] AS price) AS fam;
        ALTER TABLE %1$s.products ADD PRIMARY KEY (product_id);
        $q$, s, r0 + 1, products);

    -- Customers and their planted group ---------------------------------------------------------
    EXECUTE format($q$
        CREATE TABLE %1$s.planted_groups (
            planted_group text PRIMARY KEY, share float8, orders_mean int, lines_min int, lines_max int,
            quantity_min int, quantity_max int, discount float8, active text, description text);
        INSERT INTO %1$s.planted_groups VALUES
            ('wholesale', 0.06, 90, 12, 28, 10, 120, 0.15, 'both years',
             'resellers: an order about every week, long orders, bulk quantities, 15%% discount, early-morning orders'),
            ('regular', 0.30, 32, 4, 11, 1, 12, 0.05, 'both years',
             'shops buying every few weeks: medium orders, small quantities, 5%% discount'),
            ('occasional', 0.39, 6, 1, 6, 1, 6, 0.0, 'both years',
             'a few small orders over the two years'),
            ('lapsed', 0.15, 14, 3, 8, 1, 10, 0.03, 'from January 2023 until between July and November 2023',
             'former regulars who stopped buying during 2023'),
            ('new', 0.10, 4, 3, 8, 1, 8, 0.0, 'the last two to four months of 2024',
             'customers acquired at the end of 2024');
        CREATE UNLOGGED TABLE %1$s._demo_customers AS
        SELECT c AS customer_id, g.*,
               1 + floor(%3$s * @extschema@.dm_demo_uniform(c, %2$s + 2))::int AS home_depot,
               CASE g.planted_group
                   WHEN 'lapsed' THEN date '2023-01-01'
                   WHEN 'new' THEN date '2024-12-31' - (60 + floor(60 * @extschema@.dm_demo_uniform(c, %2$s + 3)))::int
                   ELSE date '2023-01-01' END AS window_start,
               CASE g.planted_group
                   WHEN 'lapsed' THEN (180 + floor(130 * @extschema@.dm_demo_uniform(c, %2$s + 3)))::int
                   WHEN 'new' THEN (60 + floor(60 * @extschema@.dm_demo_uniform(c, %2$s + 3)))::int + 1
                   ELSE 731 END AS window_days,
               greatest(1, round(g.orders_mean * (0.6 + 0.8 * @extschema@.dm_demo_uniform(c, %2$s + 4))))::int AS n_orders
        FROM generate_series(1, %4$s) AS c,
             LATERAL (SELECT @extschema@.dm_demo_uniform(c, %2$s + 5) AS u) AS pick,
             LATERAL (SELECT * FROM %1$s.planted_groups p
                      WHERE p.planted_group = CASE WHEN pick.u < 0.06 THEN 'wholesale' WHEN pick.u < 0.36 THEN 'regular'
                                                   WHEN pick.u < 0.75 THEN 'occasional' WHEN pick.u < 0.90 THEN 'lapsed'
                                                   ELSE 'new' END) AS g;
        CREATE TABLE %1$s.customers AS
        SELECT c.customer_id,
               'C' || lpad(c.customer_id::text, 6, '0') AS customer_code,
               (ARRAY['Alpine', 'Bastide', 'Cedar', 'Delta', 'Etoile', 'Falcon', 'Garonne', 'Horizon', 'Iris',
                      'Jasmin', 'Korrigan', 'Loire', 'Mistral', 'Nord', 'Olivier', 'Provence'])
                   [1 + floor(16 * @extschema@.dm_demo_uniform(c.customer_id, %2$s + 6))::int] || ' ' ||
               (ARRAY['Distribution', 'Market', 'Supplies', 'Trading', 'Foods', 'Store', 'Services', 'Retail'])
                   [1 + floor(8 * @extschema@.dm_demo_uniform(c.customer_id, %2$s + 7))::int] AS customer_name,
               c.home_depot AS depot_id,
               c.window_start AS customer_since
        FROM %1$s._demo_customers c ORDER BY c.customer_id;
        ALTER TABLE %1$s.customers ADD PRIMARY KEY (customer_id),
            ADD FOREIGN KEY (depot_id) REFERENCES %1$s.depots;
        CREATE TABLE %1$s.planted_customer_groups AS
        SELECT customer_id, planted_group FROM %1$s._demo_customers ORDER BY customer_id;
        ALTER TABLE %1$s.planted_customer_groups ADD PRIMARY KEY (customer_id),
            ADD FOREIGN KEY (planted_group) REFERENCES %1$s.planted_groups;
        $q$, s, r0 + 10, depots, customers);

    -- Seasonality: month and weekday factors, 10% growth in the second year. -----------------------
    EXECUTE format($q$
        CREATE TABLE %1$s.planted_seasonality (month int PRIMARY KEY, factor float8 NOT NULL);
        INSERT INTO %1$s.planted_seasonality
        SELECT m, (ARRAY[0.80, 0.85, 1.00, 1.00, 1.05, 1.00, 0.85, 0.60, 1.05, 1.10, 1.30, 1.45])[m]
        FROM generate_series(1, 12) AS m;
        $q$, s);

    -- Orders: candidate days in each customer's window, kept with probability proportional to the
    -- month factor x weekday factor (no Sunday sales) x growth; then numbered in time order.
    EXECUTE format($q$
        CREATE UNLOGGED TABLE %3$s._demo_orders AS
        WITH candidates AS (
            SELECT c.customer_id, c.planted_group, c.lines_min, c.lines_max, c.home_depot, k,
                   c.customer_id::bigint * 100000 + k AS okey,
                   c.window_start + floor(c.window_days * @extschema@.dm_demo_uniform(c.customer_id::bigint * 100000 + k, %1$s))::int AS day
            FROM %3$s._demo_customers c, generate_series(1, 2 * c.n_orders) AS k
        ), kept AS (
            SELECT * FROM candidates
            WHERE day <= date '2024-12-31'
              AND @extschema@.dm_demo_uniform(okey, %1$s + 1) <
                  (ARRAY[0.80, 0.85, 1.00, 1.00, 1.05, 1.00, 0.85, 0.60, 1.05, 1.10, 1.30, 1.45])[extract(month FROM day)::int] / 1.45
                  * (ARRAY[1.0, 1.0, 1.0, 1.0, 0.95, 0.4, 0.0])[extract(isodow FROM day)::int]
                  * CASE WHEN day >= date '2024-01-01' THEN 1.0 ELSE 1 / 1.1 END
        ), timed AS (
            SELECT kept.*,
                   day + make_interval(
                       hours => CASE WHEN planted_group = 'wholesale'
                                     THEN 6 + floor(3 * (@extschema@.dm_demo_uniform(okey, %1$s + 2) + @extschema@.dm_demo_uniform(okey, %1$s + 3)))::int
                                     ELSE 7 + floor(6.5 * (@extschema@.dm_demo_uniform(okey, %1$s + 2) + @extschema@.dm_demo_uniform(okey, %1$s + 3)))::int END,
                       mins => floor(60 * @extschema@.dm_demo_uniform(okey, %1$s + 4))::int,
                       secs => floor(60 * @extschema@.dm_demo_uniform(okey, %1$s + 5))::int) AS ordered_at,
                   lines_min + floor((lines_max - lines_min + 1) * @extschema@.dm_demo_uniform(okey, %1$s + 6))::int AS n_lines,
                   CASE WHEN @extschema@.dm_demo_uniform(okey, %1$s + 7) < 0.9 THEN home_depot
                        ELSE 1 + floor(%2$s * @extschema@.dm_demo_uniform(okey, %1$s + 8))::int END AS depot_id
            FROM kept
        )
        SELECT row_number() OVER w AS order_id, t.*,
               sum(t.n_lines) OVER (w ROWS UNBOUNDED PRECEDING) - t.n_lines AS first_line
        FROM timed t
        WINDOW w AS (ORDER BY ordered_at, customer_id, k)
        $q$, r0 + 20, depots, s);

    -- The planted anomalies: line numbers chosen by a hash, with their type and a second number
    -- (b) that sets how far off they are.
    EXECUTE format($q$
        CREATE TABLE %1$s.planted_anomalies AS
        SELECT line_id, anomaly_type,
               CASE anomaly_type WHEN 'amount' THEN 'huge amount: the unit price makes the line worth 60,000 to 400,000'
                                 WHEN 'quantity' THEN 'absurd quantity (2,000 to 10,000 units) at an ordinary amount'
                                 ELSE 'sold at night, between 01:00 and 05:00' END AS description,
               @extschema@.dm_demo_uniform(line_id, %2$s + 4) AS b
        FROM (SELECT line_id,
                     CASE WHEN a < 0.0006 THEN 'amount' WHEN a < 0.00105 THEN 'quantity' ELSE 'hour' END AS anomaly_type
              FROM (SELECT line_id, @extschema@.dm_demo_uniform(line_id, %2$s + 3) AS a
                    FROM generate_series(1::bigint, (SELECT sum(n_lines) FROM %1$s._demo_orders)) AS line_id) AS h
              WHERE a < 0.0015) AS t
        ORDER BY line_id;
        ALTER TABLE %1$s._demo_orders SET (parallel_workers = 2);
        ANALYZE %1$s._demo_customers;
        ANALYZE %1$s._demo_orders;
        ANALYZE %1$s.planted_anomalies;
        $q$, s, r0 + 30);

    -- Sales lines: product (popular ones more often), quantity and price by the customer's group;
    -- the planted anomalies applied.
    EXECUTE format('SELECT array_agg(list_price::float8 ORDER BY product_id) FROM %s.products', s) INTO prices;
    EXECUTE format($q$
        CREATE TABLE %1$s.sales_lines AS
        WITH lines AS (
            SELECT o.first_line + l AS line_id, o.order_id, o.ordered_at, o.customer_id, o.depot_id,
                   1 + floor(%3$s * power(@extschema@.dm_demo_uniform(o.okey * 64 + l, %2$s), 1.7))::int AS product_id,
                   c.quantity_min + floor((c.quantity_max - c.quantity_min + 1)
                                          * power(@extschema@.dm_demo_uniform(o.okey * 64 + l, %2$s + 1), 2))::int AS qty,
                   c.discount, o.okey * 64 + l AS lkey
            FROM %1$s._demo_orders o JOIN %1$s._demo_customers c USING (customer_id), generate_series(1, o.n_lines) AS l
        ), priced AS (
            SELECT ln.*, pa.anomaly_type AS anomaly, pa.b,
                   greatest(0.01, round((($1::float8[])[product_id] * (1 - discount)
                                        * (0.97 + 0.06 * @extschema@.dm_demo_uniform(lkey, %2$s + 2)))::numeric, 2)) AS price
            FROM lines ln LEFT JOIN %1$s.planted_anomalies pa USING (line_id)
        ), final AS (
            SELECT line_id, order_id,
                   CASE WHEN anomaly = 'hour'
                        THEN date_trunc('day', ordered_at) + make_interval(hours => 1 + floor(4 * b)::int,
                                                                           mins => floor(60000 * b)::int %% 60)
                        ELSE ordered_at END AS sold_at,
                   customer_id, product_id, depot_id,
                   CASE WHEN anomaly = 'quantity' THEN 2000 + floor(8000 * b)::int ELSE qty END AS quantity,
                   CASE WHEN anomaly IS NULL THEN price
                        WHEN anomaly = 'amount' THEN round((60000 + 340000 * b)::numeric / qty, 2)
                        WHEN anomaly = 'quantity' THEN greatest(0.01, round(qty * price / (2000 + floor(8000 * b)::int), 2))
                        ELSE price END AS unit_price
            FROM priced
        )
        SELECT line_id::bigint, order_id::bigint, sold_at, sold_at::date AS date_key, customer_id, product_id,
               depot_id, quantity, unit_price::numeric(12, 2) AS unit_price,
               round(quantity * unit_price, 2)::numeric(14, 2) AS amount
        FROM final
        ORDER BY line_id  -- the same physical order every time: reproducible samples downstream
        $q$, s, r0 + 30, products) USING prices;
    EXECUTE format($q$
        ALTER TABLE %1$s.sales_lines ADD PRIMARY KEY (line_id);
        ALTER TABLE %1$s.sales_lines ALTER order_id SET NOT NULL, ALTER sold_at SET NOT NULL,
            ALTER customer_id SET NOT NULL, ALTER quantity SET NOT NULL, ALTER amount SET NOT NULL;
        ALTER TABLE %1$s.planted_anomalies DROP COLUMN b;
        ALTER TABLE %1$s.planted_anomalies ADD PRIMARY KEY (line_id),
            ADD FOREIGN KEY (line_id) REFERENCES %1$s.sales_lines;
        $q$, s);
    EXECUTE format($q$
        ALTER TABLE %1$s.sales_lines
            ADD FOREIGN KEY (customer_id) REFERENCES %1$s.customers,
            ADD FOREIGN KEY (product_id) REFERENCES %1$s.products,
            ADD FOREIGN KEY (depot_id) REFERENCES %1$s.depots,
            ADD FOREIGN KEY (date_key) REFERENCES %1$s.dates;
        ANALYZE %1$s.sales_lines;
        ANALYZE %1$s.customers;
        ANALYZE %1$s.products;
        ANALYZE %1$s.dates;
        ANALYZE %1$s.planted_anomalies;
        ANALYZE %1$s.planted_customer_groups;
        $q$, s);

    EXECUTE format('COMMENT ON SCHEMA %s IS %L', s,
        format('%s (scale %s, seed %s): sales_lines fact, customers, products, depots, regions, dates; '
               'ground truth in planted_customer_groups, planted_groups, planted_seasonality, planted_anomalies',
               marker, scale, seed));
    EXECUTE format('COMMENT ON TABLE %s.sales_lines IS %L', s,
                   'sales lines: one row per product of an order (fact of the star schema)');
    EXECUTE format('COMMENT ON TABLE %s.planted_anomalies IS %L', s,
                   'ground truth: the planted anomalous sales lines and their type (amount, quantity, hour)');
    EXECUTE format('COMMENT ON TABLE %s.planted_customer_groups IS %L', s,
                   'ground truth: the behaviour group each customer was generated from');

    EXECUTE format('DROP TABLE %1$s._demo_customers, %1$s._demo_orders', s);

    -- A mining configuration for it, named after the schema.
    PERFORM @extschema@.configure_mining(schema_name, format('%s.sales_lines', s),
        customer_column => 'customer_id', order_column => 'order_id', time_column => 'sold_at',
        amount_column => 'amount', quantity_column => 'quantity', line_column => 'line_id',
        product_column => 'product_id', store_column => 'depot_id');

    FOR table_name IN SELECT unnest(ARRAY['regions', 'depots', 'dates', 'products', 'customers', 'sales_lines',
                                          'planted_groups', 'planted_customer_groups', 'planted_seasonality',
                                          'planted_anomalies'])
    LOOP
        EXECUTE format('SELECT count(*) FROM %s.%I', s, table_name) INTO row_count;
        table_name := schema_name || '.' || table_name;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION create_demo_warehouse(text, float8, int) IS
    'builds the demo ERP warehouse (star schema with planted ground truth) in its own schema; scale 1 = about 1 million sales lines and 5,000 customers; registers a mining configuration named after the schema';
REVOKE EXECUTE ON FUNCTION create_demo_warehouse(text, float8, int) FROM PUBLIC;
-- Every SQL and PL/pgSQL routine of the extension runs with search_path = pg_catalog, pg_temp,
-- so that no function or operator of a schema the caller put first is ever called in its place.
-- Routines that already pin it keep their own setting; the others are pinned here, in one place.
-- C functions resolve no names and are left alone (a SET clause would cost every per-row call).
DO $pin$
DECLARE
    -- Routines that cannot or must not carry a SET clause. Each one's body names nothing
    -- unqualified before it pins the path itself or hands over to a pinned routine:
    --   run_mining: a procedure with a SET clause cannot COMMIT; it pins the path transaction-
    --     locally after every COMMIT (and keeps the caller's to resolve fact_table);
    --   configure_mining: passes the caller's search_path on to dm_configure_mining, which
    --     resolves the fact table with it.
    unpinned constant text[] := ARRAY['run_mining', 'configure_mining'];
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dmine'
        JOIN pg_catalog.pg_language l ON l.oid = p.prolang
        WHERE l.lanname IN ('sql', 'plpgsql')
          AND NOT p.proname = ANY (unpinned)
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(p.proconfig) AS c WHERE c LIKE 'search\_path=%')
        ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER ROUTINE %s SET search_path = pg_catalog, pg_temp', f);
    END LOOP;
END
$pin$;
