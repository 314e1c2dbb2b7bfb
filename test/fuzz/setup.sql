-- Fixtures of the fuzz suite (run once per run in its own database).
CREATE EXTENSION dmine;
SELECT count(*) FROM dmine.create_demo_warehouse('fz', scale => 0.01);
SELECT dmine.configure_mining('fz', 'fz.sales_lines', customer_column => 'customer_id',
    order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount',
    quantity_column => 'quantity', line_column => 'line_id') IS NOT NULL;

CREATE SCHEMA fuzz;
CREATE TABLE fuzz.empty (x float8, a float8[]);
CREATE TABLE fuzz.nocols ();
INSERT INTO fuzz.nocols DEFAULT VALUES;
-- every kind of column a profile may meet, with hostile values
CREATE TABLE fuzz.types (f float8, n numeric, m money, i int, b bigint, t text, d date,
    ts timestamptz, j jsonb, a float8[], p point, x xml, bo boolean, by bytea, iv interval,
    r int4range, tv tsvector, u uuid, e name, c "char");
INSERT INTO fuzz.types VALUES
    ('NaN', 'NaN', '1.5', 1, 1, '', 'infinity', '-infinity', 'null', '{NaN}', '(1,2)', '<a/>',
     true, '\x00', '1 day', '[1,2)', 'a b', gen_random_uuid(), 'n', 'c'),
    ('Infinity', 1e400, '-92233720368547758.08', 2147483647, -9223372036854775808,
     repeat('x', 100000), '4713-01-01 BC', 'infinity', '{"a":[1,2]}', '{}', '(NaN,NaN)', NULL,
     NULL, NULL, NULL, 'empty', '', NULL, NULL, NULL),
    ('-Infinity', -1e-400, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (1e308, 0, 0, 0, 0, 'x', '2000-01-01', now(), '1', '{1,2}', '(0,0)', '<b/>', false, '',
     '-1 year', NULL, NULL, NULL, '', ' '),
    (-1e308, '-0', 0, -1, 1, 'y', '2000-01-02', now(), '[]', '{{1,2},{3,4}}', NULL, NULL,
     true, '\xff', '0', NULL, NULL, NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL);
CREATE VIEW fuzz.v_types AS SELECT * FROM fuzz.types;
CREATE SEQUENCE fuzz.seq;
CREATE TABLE fuzz."Mixed Case" ("Col ""x""" float8, "select" text);
INSERT INTO fuzz."Mixed Case" VALUES (1, 'a'), (NULL, NULL), ('NaN', '');
CREATE TABLE fuzz.partitioned (k int, f float8) PARTITION BY RANGE (k);
CREATE TABLE fuzz.partitioned_1 PARTITION OF fuzz.partitioned FOR VALUES FROM (0) TO (100);
INSERT INTO fuzz.partitioned SELECT g, g FROM generate_series(0, 99) g;
DO $$ BEGIN
    EXECUTE 'CREATE TABLE fuzz.wide (' ||
        (SELECT string_agg(format('c%s float8', g), ', ') FROM generate_series(1, 300) g) || ')';
END $$;
INSERT INTO fuzz.wide (c1, c300) VALUES (1, 'NaN'), (2, 3);
-- for parallel aggregation (partial states serialized, combined, deserialized)
CREATE TABLE fuzz.par (id int, f float8, a float8[], ax float8[], j jsonb, t text)
    WITH (parallel_workers = 2);
INSERT INTO fuzz.par
SELECT g, CASE g % 97 WHEN 0 THEN 'NaN' WHEN 1 THEN 'Infinity' WHEN 2 THEN NULL
              WHEN 3 THEN 1e308 WHEN 4 THEN -1e308 ELSE g % 1000 END::float8,
       ARRAY[g % 10, g % 7]::float8[],
       CASE g % 89 WHEN 0 THEN NULL WHEN 1 THEN '{NULL,1}' WHEN 2 THEN '{NaN,1}'
            WHEN 3 THEN '{1e308,-1e308}' ELSE ARRAY[g % 13, g % 5]::float8[] END::float8[],
       jsonb_build_object('g', g), (g % 50)::text
FROM generate_series(1, 40000) g;
ANALYZE;
-- two configurations with a successful run each: purging must keep the latest of both
SELECT dmine.configure_mining('fz2', 'fz.sales_lines', customer_column => 'customer_id',
    order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount') IS NOT NULL;
CALL dmine.run_mining('fz2', steps => '{rfm}');
CALL dmine.run_mining('fz');
