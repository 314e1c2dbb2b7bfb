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
