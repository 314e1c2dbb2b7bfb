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
        value := format('@extschema@.dm_pipeline_float8(%I::numeric)', col);
    ELSE
        -- Two comparisons (abs() would allocate a numeric); NaN fails the second.
        ok := format(CASE WHEN base = 'numeric'::regtype THEN '(%1$I::numeric > -1e300 AND %1$I::numeric < 1e300)'
                          ELSE '(%1$I::float8 > -1e300 AND %1$I::float8 < 1e300)' END, col);
        value := CASE WHEN base = 'numeric'::regtype THEN format('@extschema@.dm_pipeline_float8(%I::numeric)', col)
                      ELSE format('CASE WHEN %s THEN %I::float8 END', ok, col) END;
    END IF;
END
$$;
COMMENT ON FUNCTION dm_pipeline_number(regclass, text) IS
    'pipeline internal: SQL giving a mapped number column as float8, NULL when not finite or beyond 1e300 in magnitude (value), and SQL testing it without converting (ok)';

-- A numeric as float8 straight from its digits (no text round trip), NULL when NaN, infinite or
-- not strictly within ±1e300: the value of dm_pipeline_number for numeric columns.
CREATE FUNCTION dm_pipeline_float8(x numeric) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_pipeline_float8(numeric) IS
    'pipeline internal: a numeric as float8 from its digits, NULL when NaN, infinite or not within ±1e300';

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
-- (customer_key, order_key, ts, amount, amount_ok, quantity, line_key, hour, night (hour < 6 or
-- >= 22), extra_1..n, unit_price, dim_1..n), sampled
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
                                   m->>'time_column') END,
                  -- hour < 6 OR hour >= 22 without the two date_part calls (a time of day compares cheaply).
                  CASE WHEN m->>'time_type' = 'date' THEN 'NULL::boolean AS night'
                       WHEN m->>'time_type' IN ('timestamp without time zone', 'timestamp with time zone')
                       THEN format('(%1$I::time < ''06:00'' OR %1$I::time >= ''22:00'') AS night', m->>'time_column')
                       ELSE format('(date_part(''hour'', %1$I) < 6 OR date_part(''hour'', %1$I) >= 22) AS night',
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
    -- Orders first (grouped on the keys' own types), then customers: cheaper than count(DISTINCT
    -- order). The customers are grouped on the key itself, cast to text after grouping: the orders
    -- come sorted by customer (a streaming group), or hash with the key's statistics (grouped on a
    -- text cast, 200 groups were planned and the hash table spilled).
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
        SELECT orders.customer_key::text AS customer_key, max(last_ts) FILTER (WHERE o)::date AS last_day,
               count(*) FILTER (WHERE o) AS frequency, sum(amount) FILTER (WHERE o)::float8 AS monetary,
               sum(lines) FILTER (WHERE o) AS lines, sum(time_lines) FILTER (WHERE o) AS time_lines,
               %3$s,
               sum(lines) AS all_lines, COALESCE(sum(lines) FILTER (WHERE NOT o), 0) AS no_order,
               sum(lines - time_lines) AS no_time, sum(lines - amount_lines) AS no_amount
        FROM (SELECT *, order_key IS NOT NULL AS o FROM orders) AS orders
        GROUP BY orders.customer_key
        $q$, ctx->>'source',
        CASE WHEN with_lines THEN
            ', sum(quantity) AS quantity, count(quantity) AS quantity_lines,
               count(*) FILTER (WHERE night) AS night_lines'
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
