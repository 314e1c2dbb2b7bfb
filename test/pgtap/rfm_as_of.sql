-- dm_rfm with an as_of before the data: refused (22023, the hint names the latest purchase)
-- rather than negative recencies that would rank those customers the most recent.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(8);

CREATE TABLE rfm_lines (customer int, order_no int, sold_at timestamp, amount numeric);
INSERT INTO rfm_lines VALUES
    (1, 10, '2024-01-05 10:00', 20), (1, 11, '2024-03-01 09:00', 30),
    (2, 20, '2024-02-10 12:00', 5), (3, 30, '2024-03-10 18:30', 100), (3, 31, '2024-03-10 19:00', 1);

SELECT throws_ok($$SELECT * FROM dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount', as_of => '2024-01-01')$$,
                 '22023', 'as_of (2024-01-01) is before the latest purchase in the data (2024-03-10)',
                 'as_of before every purchase: 22023');
SELECT throws_ok($$SELECT * FROM dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount', as_of => '2024-03-09')$$,
                 '22023', NULL, 'as_of one day before the latest purchase: 22023');
CREATE FUNCTION pg_temp.hint_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SELECT alike(pg_temp.hint_of($$SELECT * FROM dmine.dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount', as_of => '2024-01-01')$$),
            '%on or after 2024-03-10%', 'the hint names the latest purchase');
SELECT is((SELECT min(recency_days) FROM dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount', as_of => '2024-03-10')),
          0, 'as_of on the latest purchase day: recency 0');
SELECT is((SELECT array_agg(recency_days ORDER BY customer_key)
           FROM dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount', as_of => '2024-04-01')),
          ARRAY[31, 51, 22], 'as_of after the data: recencies in days');
SELECT is((SELECT array_agg(recency_days ORDER BY customer_key)
           FROM dm_rfm('rfm_lines', 'customer', 'order_no', 'sold_at', 'amount')),
          ARRAY[10, 30, 1], 'as_of NULL: the day after the latest purchase');
SELECT is(dm_rfm_reference_date(NULL, '2024-03-10'), '2024-03-11'::date, 'dm_rfm_reference_date: NULL as_of');
SELECT throws_ok($$SELECT dm_rfm_reference_date('2024-03-01', '2024-03-10')$$, '22023', NULL,
                 'dm_rfm_reference_date: as_of before the latest purchase');
SELECT * FROM finish();
ROLLBACK;
