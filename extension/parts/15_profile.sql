-- dm_profile: one row per column of a table with counts, distinct estimate, statistics and
-- top values, from a single scan (dm_profile_summary over the whole row, with min and max).
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

-- numeric -> float8 from the digits (no text round trip), never failing: beyond the float8 range
-- ±Infinity, NaN gives NaN.
CREATE FUNCTION dm_numeric_float8(x numeric) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_numeric_float8(numeric) IS
    'internal: a numeric as float8 from its digits, without error (beyond the float8 range: ±Infinity)';

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
        WHEN 'money'::regtype THEN format('@extschema@.dm_numeric_float8((%s)::numeric)', expr)
        WHEN 'numeric'::regtype THEN format('@extschema@.dm_numeric_float8(%s)', expr)
    END
$$;
COMMENT ON FUNCTION dm_float8_expression(oid, text) IS
    'internal: SQL converting a number of the given type to float8 without error (beyond the range: ±Infinity); NULL for other types';

-- A yyyymmdd integer date key as a date; NULL when it is not a valid date. The day is checked
-- against the month's length in integer arithmetic (31 - (m + m / 8 + 1) % 2 days, February 28
-- or 29): no date is built for the check, which runs on every row of a profile.
CREATE FUNCTION dm_date_key(key bigint) RETURNS date
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

-- The same as SQL over an expression (routines are never inlined: per-row calls cost).
CREATE FUNCTION dm_date_key_sql(expr text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CASE WHEN (%1$s) BETWEEN 10000101 AND 99991231 AND (%1$s) / 100 %% 100 BETWEEN 1 AND 12 '
                  'AND (%1$s) %% 100 BETWEEN 1 AND CASE WHEN (%1$s) / 100 %% 100 = 2 '
                  'THEN 28 + ((%1$s) / 10000 %% 4 = 0 AND ((%1$s) / 10000 %% 100 <> 0 OR (%1$s) / 10000 %% 400 = 0))::int '
                  'ELSE 30 + ((%1$s) / 100 %% 100 + (%1$s) / 100 %% 100 / 8) %% 2 END '
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
SET jit = off  -- the work is in dm_profile_summary; compiling its scan only adds time
AS $$
DECLARE
    source text;
    col record;
    args text[] := '{}';
    spec text := '';
    calls text[] := '{}';
    results jsonb[];
    ranges text[] := '{}';
    summary jsonb;
    profiles jsonb := '[]';
    bounds text[];
    item jsonb;
    total bigint;
    i int := 0;
    exact_cols text[] := '{}';
    exact_names text[] := '{}';
    exact jsonb := '{}';
    exact_n bigint;
    keys text[];
    is_date_key boolean;
    distributed boolean := @extschema@.dm_relation_distributed(rel);
    call_sql text;
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

    -- One scan: dm_profile_summary over the whole row (90 columns per call), and min / max of
    -- numbers, texts and dates/times. Distinct values by the type's hash ('v'), else by their
    -- text ('t'); upper case: also count the texts that read as ISO dates and date-times.
    -- On a Citus distributed table the columns go as one row, ROW(a, b, ...): the form with
    -- fixed argument types, which Citus's worker_partial_agg runs on the workers (it rejects
    -- VARIADIC "any"). On one node the VARIADIC form, which reads the arguments directly (no
    -- row to build and take apart); a composite column goes there as its text (the same figures:
    -- 't' hashes the text), as a lone composite argument would also match the record form.
    call_sql := CASE WHEN distributed
                     THEN '@extschema@.dm_summary_profile(@extschema@.dm_profile_summary(%s, %L, ROW(%s)))'
                     ELSE '@extschema@.dm_summary_profile(@extschema@.dm_profile_summary(%s, %L, %s))' END;
    FOR col IN
        SELECT a.attname, t.typcategory AS category, @extschema@.dm_type_hashable(a.atttypid) AS hashable,
               @extschema@.dm_base_type(a.atttypid) IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AS integer_type
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        i := i + 1;
        args := args || CASE WHEN col.category = 'C' AND NOT distributed THEN quote_ident(col.attname) || '::text'
                             ELSE quote_ident(col.attname) END;
        spec := spec || CASE WHEN col.category IN ('N', 'D', 'S', 'B') AND col.hashable
                             THEN CASE WHEN col.category = 'S' THEN 'V' ELSE 'v' END
                             ELSE CASE WHEN col.category = 'S' THEN 'T' ELSE 't' END END;
        -- Integers: their range from the summary's statistics (exact below 2^53, see below), two
        -- aggregates fewer per row.
        ranges := ranges || CASE WHEN col.integer_type THEN 'NULL, NULL'
                                 WHEN col.category IN ('N', 'D', 'S')
                                 THEN format('to_jsonb(min(%1$I)) #>> ''{}'', to_jsonb(max(%1$I)) #>> ''{}''', col.attname)
                                 ELSE 'NULL, NULL' END;
        IF cardinality(args) = 90 THEN
            calls := calls || format(call_sql, top_n, spec, array_to_string(args, ', '));
            args := '{}';
            spec := '';
        END IF;
    END LOOP;
    IF i = 0 THEN
        RETURN;
    END IF;
    IF cardinality(args) > 0 THEN
        calls := calls || format(call_sql, top_n, spec, array_to_string(args, ', '));
    END IF;
    EXECUTE format('SELECT ARRAY[%s], ARRAY[%s]::text[] FROM %s',
                   array_to_string(calls, ', '), array_to_string(ranges, ', '), source)
        INTO results, bounds;
    FOR i IN 1 .. cardinality(results) LOOP
        summary := results[i];
        profiles := profiles || (summary->'columns');
    END LOOP;
    total := (summary->>'rows')::bigint;

    -- Distinct counts estimated at most 10000 are exact from the summary; recounted only when
    -- the summary had too many values to keep them (an estimate far below the truth).
    i := 0;
    FOR col IN
        SELECT a.attname, @extschema@.dm_type_hashable(a.atttypid) AS hashable
        FROM pg_attribute a
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := profiles->i;
        i := i + 1;
        IF (item->>'nd')::bigint <= 10000 AND (item->>'n')::bigint > 0 THEN
            IF jsonb_typeof(item->'exact') = 'number' THEN
                exact := exact || jsonb_build_object(col.attname, item->'exact');
            ELSE
                exact_cols := exact_cols || CASE WHEN col.hashable THEN quote_ident(col.attname)
                                                 ELSE quote_ident(col.attname) || '::text' END;
                exact_names := exact_names || col.attname::text;
            END IF;
        END IF;
    END LOOP;
    FOR i IN 1 .. cardinality(exact_cols) LOOP
        EXECUTE format('SELECT count(DISTINCT %s) FROM %s', exact_cols[i], source) INTO exact_n;
        exact := exact || jsonb_build_object(exact_names[i], exact_n);
    END LOOP;
    -- Columns that are keys: single-column primary keys and unique constraints, foreign keys.
    keys := ARRAY(SELECT DISTINCT a.attname::text FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                  WHERE c.conrelid = rel AND (c.contype = 'f' OR (c.contype IN ('p', 'u') AND cardinality(c.conkey) = 1)));

    i := 0;
    FOR col IN
        SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS type_name,
               format_type(a.atttypid, NULL) AS cast_type,
               t.typcategory AS category, format_type(@extschema@.dm_base_type(a.atttypid), NULL) AS base_name,
               (SELECT format('%I.%I', n.nspname, k.collname) FROM pg_collation k JOIN pg_namespace n ON n.oid = k.collnamespace
                WHERE k.oid = a.attcollation AND t.typcategory = 'S' AND k.collname <> 'default') AS collation_name
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := COALESCE(profiles->i, '{"n": 0, "nd": 0}');
        i := i + 1;
        column_name := col.attname;
        ordinal := col.attnum;
        data_type := col.type_name;
        kind := CASE col.category WHEN 'N' THEN 'numeric' WHEN 'S' THEN 'text'
                    WHEN 'D' THEN 'temporal' WHEN 'B' THEN 'boolean' ELSE 'other' END;
        row_count := COALESCE(total, 0);
        null_count := row_count - (item->>'n')::bigint;
        null_fraction := CASE WHEN row_count > 0 THEN null_count::float8 / row_count END;
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
        stats := CASE WHEN jsonb_typeof(item->'stats') = 'object'
                      THEN jsonb_populate_record(NULL::@extschema@.stats, item->'stats') END;
        mean := stats.mean;
        stddev := stats.stddev;
        p25 := stats.p25;
        p50 := stats.p50;
        p75 := stats.p75;
        IF col.base_name IN ('smallint', 'integer', 'bigint') AND (item->>'n')::bigint > 0 THEN
            -- An integer's float8 min and max are exact below 2^53 in magnitude; beyond, read again.
            IF greatest(abs(stats.min), abs(stats.max)) < 9007199254740992 THEN
                bounds[2 * i - 1] := stats.min::bigint::text;
                bounds[2 * i] := stats.max::bigint::text;
            ELSE
                EXECUTE format('SELECT min(%1$I)::text, max(%1$I)::text FROM %2$s', col.attname, source)
                    INTO min_value, max_value;
                bounds[2 * i - 1] := min_value;
                bounds[2 * i] := max_value;
            END IF;
        END IF;
        min_value := COALESCE(bounds[2 * i - 1], stats.min::text);
        max_value := COALESCE(bounds[2 * i], stats.max::text);
        IF is_date_key THEN
            min_value := @extschema@.dm_date_key(min_value::bigint)::text;
            max_value := @extschema@.dm_date_key(max_value::bigint)::text;
        END IF;
        IF role IN ('identifier', 'date', 'timestamp') THEN
            -- Keys and dates: counts and range, no moments.
            stats := NULL; mean := NULL; stddev := NULL; p25 := NULL; p50 := NULL; p75 := NULL;
        END IF;
        top_values := NULL;
        IF role IN ('category', 'text', 'boolean') AND top_n > 0 AND jsonb_typeof(item->'top') = 'array' THEN
            -- From the summary: its values by count (with the ties at the cut), ordered here by
            -- count then text (in the column's collation). Values keep their JSON type (ISO
            -- dates, booleans); other types are their text.
            EXECUTE format(
                'SELECT jsonb_agg(jsonb_build_object(''value'', %1$s, ''count'', c) ORDER BY c DESC, o %2$s)
                 FROM (SELECT v, c, %3$s AS o FROM (SELECT e->>0 AS v, (e->>1)::bigint AS c FROM jsonb_array_elements($1) AS e) x
                       ORDER BY c DESC, o %2$s LIMIT %4$s) AS top',
                CASE WHEN col.category IN ('S', 'D', 'B') THEN format('to_jsonb(v::%s)', col.cast_type) ELSE 'to_jsonb(v)' END,
                COALESCE('COLLATE ' || col.collation_name, ''),
                CASE WHEN col.category IN ('S', 'D', 'B') THEN format('(v::%s)::text', col.cast_type) ELSE 'v' END,
                top_n)
                INTO top_values USING item->'top';
        ELSIF role IN ('category', 'text', 'boolean') AND top_n > 0 THEN
            -- Too many values for the summary to keep their texts: one grouped scan.
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
