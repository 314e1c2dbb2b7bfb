"""A generated retail warehouse for the pipeline benchmark, of another shape than the demo's.

generate(conn, schema, lines, customers, products): a star schema (customers, products, depots,
sales_lines) with `lines` sales lines in orders of 1 to 9 lines, customers drawn with a skew
(heavy buyers and occasional ones), 3 years of timestamps (day hours, a few night lines),
numeric(12,2) amounts and a `planted_anomalies` table (0.1% of the lines: huge quantities,
absurd prices, night purchases of many units). Deterministic for a given size (setseed).
"""

GENERATOR = """
DROP SCHEMA IF EXISTS {s} CASCADE;
CREATE SCHEMA {s};
SELECT setseed(0.42);
CREATE TABLE {s}.customers AS
    SELECT c AS customer_id, 'client ' || c AS name,
           (ARRAY['north', 'south', 'east', 'west', 'centre'])[1 + c % 5] AS region
    FROM generate_series(1, {customers}) AS c;
ALTER TABLE {s}.customers ADD PRIMARY KEY (customer_id);
CREATE TABLE {s}.products AS
    SELECT p AS product_id, 'family ' || (p % 40) AS family,
           round((2 + 300 * random() ^ 3)::numeric, 2) AS list_price
    FROM generate_series(1, {products}) AS p;
ALTER TABLE {s}.products ADD PRIMARY KEY (product_id);
CREATE TABLE {s}.depots AS
    SELECT d AS depot_id, 'depot ' || d AS city FROM generate_series(1, 25) AS d;
ALTER TABLE {s}.depots ADD PRIMARY KEY (depot_id);
CREATE UNLOGGED TABLE {s}._orders AS
    SELECT o AS order_id, 1 + floor({customers} * random() ^ 1.5)::int AS customer_id,
           1 + floor(9 * random())::int AS n_lines, 1 + floor(25 * random())::int AS depot_id,
           timestamp '2023-01-01' + floor(1095 * random()) * interval '1 day'
               + CASE WHEN random() < 0.04 THEN mod((22 + 8 * random())::numeric, 24)::float8 ELSE 8 + 13 * random() END
                 * interval '1 hour' AS sold_at
    FROM generate_series(1, {orders}) AS o;
CREATE TABLE {s}.sales_lines AS
    SELECT row_number() OVER ()::bigint AS line_id, o.order_id::bigint AS order_id, o.sold_at,
           to_char(o.sold_at, 'YYYYMMDD')::int AS date_key, o.customer_id, x.product_id, o.depot_id,
           x.quantity, pr.list_price AS unit_price, (x.quantity * pr.list_price)::numeric(12, 2) AS amount
    FROM {s}._orders o
    CROSS JOIN LATERAL (SELECT 1 + floor({products} * random() ^ 2 + 0 * o.order_id)::int AS product_id,
                               1 + floor(6 * random() ^ 2 + 0 * o.order_id + 0 * l)::int AS quantity
                        FROM generate_series(1, o.n_lines) AS l) AS x
    JOIN {s}.products pr ON pr.product_id = x.product_id;
DROP TABLE {s}._orders;
CREATE TABLE {s}.planted_anomalies AS
    SELECT line_id, (ARRAY['quantity', 'price', 'night'])[1 + (line_id % 3)::int] AS kind
    FROM {s}.sales_lines WHERE random() < 0.001;
UPDATE {s}.sales_lines s SET
    quantity = CASE p.kind WHEN 'quantity' THEN 200 + s.quantity * 37 WHEN 'night' THEN 60 ELSE s.quantity END,
    unit_price = CASE p.kind WHEN 'price' THEN s.unit_price * 40 ELSE s.unit_price END,
    sold_at = CASE p.kind WHEN 'night' THEN date_trunc('day', s.sold_at) + interval '3 hours 10 minutes' ELSE s.sold_at END
FROM {s}.planted_anomalies p WHERE p.line_id = s.line_id;
UPDATE {s}.sales_lines s SET amount = (s.quantity * s.unit_price)::numeric(12, 2)
FROM {s}.planted_anomalies p WHERE p.line_id = s.line_id;
ALTER TABLE {s}.sales_lines ADD PRIMARY KEY (line_id),
    ADD FOREIGN KEY (customer_id) REFERENCES {s}.customers,
    ADD FOREIGN KEY (product_id) REFERENCES {s}.products,
    ADD FOREIGN KEY (depot_id) REFERENCES {s}.depots;
VACUUM ANALYZE {s}.sales_lines;
ANALYZE {s}.customers;
ANALYZE {s}.products;
"""


def generate(conn, schema, lines, customers=20000, products=3000):
    """Builds the warehouse in `schema` (dropped first); returns the number of sales lines."""
    sql = GENERATOR.format(s=schema, customers=customers, products=products, orders=max(1, lines // 5))
    with conn.cursor() as cur:
        for statement in sql.split(";\n"):
            if statement.strip():
                cur.execute(statement)
        cur.execute(f"SELECT count(*) FROM {schema}.sales_lines")
        return cur.fetchone()[0]
