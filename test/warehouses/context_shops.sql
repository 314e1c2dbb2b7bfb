-- A second warehouse for the anomaly tests, of another shape than the demo: a chain of 30
-- convenience shops open 06:00-24:00 every day (morning and evening peaks), 1,500 products with
-- prices spread over three orders of magnitude and 8% promotions noise, 4,000 loyalty cards with
-- small baskets, text keys. Tickets in shops.tickets (no unit price column: amount / quantity).
-- 60,000 lines.
DROP SCHEMA IF EXISTS shops CASCADE;
CREATE SCHEMA shops;
SELECT setseed(0.31);
CREATE TABLE shops.articles AS
SELECT a AS sku, 'ART-' || lpad(a::text, 5, '0') AS article_code,
       round((8 * exp(1.5 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::numeric + 0.2, 2) AS shelf_price
FROM generate_series(1, 1500) AS a;
CREATE TABLE shops.tickets AS
WITH lines AS (
    SELECT g AS ticket_line, 1 + g / 3 AS ticket_no,
           'CARD-' || (1 + floor(4000 * power(random(), 1.3)))::int AS card,
           'SHOP-' || chr(65 + floor(random() * 26)::int) || (1 + floor(random() * 3))::int AS shop_code,
           1 + floor(1500 * power(random(), 2))::int AS sku,
           CASE WHEN random() < 0.45 THEN 6 + abs(random() + random() + random() - 1.5) * 2.2
                ELSE least(23.98, 17.5 + (random() + random() + random() - 1.5) * 3.4) END AS hour_of_day,
           (random() * 364)::int AS day_no,
           CASE WHEN random() < 0.7 THEN 1 WHEN random() < 0.7 THEN 2 ELSE 3 + floor(random() * 4)::int END AS qty,
           0.92 + 0.16 * random() AS promo
    FROM generate_series(1, 60000) AS g
)
SELECT l.ticket_line, l.ticket_no, l.card, l.shop_code, l.sku,
       timestamptz '2025-01-01 00:00' + l.day_no * interval '1 day' + l.hour_of_day * interval '1 hour' AS sold,
       l.qty, round((a.shelf_price * l.promo * l.qty)::numeric, 2) AS total
FROM lines l JOIN shops.articles a USING (sku);
-- the planting function multiplies a price column: give the copy one, then drop it from the mapping
ALTER TABLE shops.tickets ADD COLUMN each_price numeric;
UPDATE shops.tickets SET each_price = round(total / qty, 4);
ANALYZE shops.tickets;
