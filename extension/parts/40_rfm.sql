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

-- The error for a mapped column not found: a name given as a quoted SQL identifier ('"cust_sk"')
-- is shown as given, and the hint names the column meant (same name but for case or quotes) or
-- lists the table's columns.
CREATE FUNCTION dm_mapping_column_missing(rel regclass, column_name text, role text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bare text := CASE WHEN column_name ~ '^".+"$' THEN replace(substr(column_name, 2, length(column_name) - 2), '""', '"')
                      ELSE column_name END;
    meant text;
    columns text;
BEGIN
    SELECT a.attname INTO meant FROM pg_attribute a
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname) = lower(bare)
    ORDER BY a.attname = bare DESC, a.attnum LIMIT 1;
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY a.attnum) INTO columns
    FROM (SELECT * FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 30) a;
    RAISE EXCEPTION 'column % (the %) does not exist in %',
                    CASE WHEN strpos(column_name, '"') > 0 THEN quote_literal(column_name) ELSE '"' || column_name || '"' END, role, rel
        USING ERRCODE = 'undefined_column',
              HINT = CASE WHEN meant IS NOT NULL
                          THEN format('Column names are given as stored (case-sensitive), without double quotes: %s.', quote_literal(meant))
                          ELSE format('The columns of %s: %s.', rel, COALESCE(columns, 'none')) END;
END
$$;
COMMENT ON FUNCTION dm_mapping_column_missing(regclass, text, text) IS
    'pipeline internal: raises the error for a mapped column that does not exist, with the column meant or the table''s columns as hint';

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
        PERFORM @extschema@.dm_mapping_column_missing(rel, column_name, role);
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
