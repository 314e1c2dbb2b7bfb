-- Exploratory statistics: exact outputs on small inputs.
SET search_path = dmine, public;
SET extra_float_digits = 0;

-- describe(): NULL, NaN and infinities are counted apart and never enter the figures.
SELECT (s).* FROM (
    SELECT dm_stats(x) AS s
    FROM (VALUES (1.0::float8), (2), (3), (4), (10), (NULL), ('NaN'), ('Infinity'), ('-Infinity')) AS v(x)
) AS t \gx

-- Empty input: zero count, undefined figures are NULL.
SELECT (dm_stats(x)).count, (dm_stats(x)).mean FROM (SELECT 1.0::float8 AS x WHERE false) AS t;
-- One value: variance undefined.
SELECT (s).count, (s).mean, (s).stddev, (s).p50 FROM (SELECT dm_stats(5.0) AS s) AS t;

-- Quantiles with linear interpolation, as pandas and percentile_cont.
SELECT dm_quantiles(i, ARRAY[0, 0.1, 0.25, 0.5, 0.9, 1]) FROM generate_series(1, 100) AS i;
SELECT percentile_cont(ARRAY[0, 0.1, 0.25, 0.5, 0.9, 1]) WITHIN GROUP (ORDER BY i) FROM generate_series(1, 100) AS i;
SELECT dm_quantiles(x, ARRAY[0.5]) FROM (SELECT NULL::float8 AS x) AS t;
SELECT dm_quantiles(i, ARRAY[1.5]) FROM generate_series(1, 10) AS i;
SELECT dm_quantiles(i, NULL) FROM generate_series(1, 10) AS i;

-- Histograms over the observed range and over given bounds.
SELECT * FROM dm_histogram_bins((SELECT dm_histogram(i, 3) FROM generate_series(1, 10) AS i));
SELECT (h).* FROM (SELECT dm_histogram(x, 4, 0, 8) AS h
                   FROM unnest(ARRAY[0, 1, 2, 3.5, 8, 9, -1, NULL, 'NaN', 'Infinity']::float8[]) AS x) AS t;
SELECT dm_histogram(i, 0) FROM generate_series(1, 10) AS i;
SELECT dm_histogram(i, 3, 5, 5) FROM generate_series(1, 10) AS i;

-- Correlation and covariance matrices; a constant feature has no correlation (NULL).
SELECT dm_corr(ARRAY[x, 2 * x + 1, -x, 7]) FROM generate_series(1, 5) AS x;
SELECT dm_cov(ARRAY[x, 2 * x]) FROM generate_series(1, 5) AS x;
SELECT dm_corr(v) FROM (VALUES (ARRAY[1.0, 2.0]::float8[]), (NULL), (ARRAY[2.0, 4.5]), (ARRAY[3.0, 5.0])) AS t(v);
SELECT dm_corr(v) FROM (VALUES (ARRAY[1.0, 2.0]::float8[]), (ARRAY[1.0, 2.0, 3.0])) AS t(v);
SELECT dm_corr(v) FROM (VALUES (ARRAY[1.0, NULL]::float8[])) AS t(v);
SELECT dm_corr(v) FROM (VALUES (ARRAY[1.0, 'NaN']::float8[])) AS t(v);
SELECT dm_corr(v) FROM (VALUES (ARRAY[[1.0, 2.0], [3.0, 4.0]]::float8[])) AS t(v);
SELECT dm_corr(v) FROM (SELECT NULL::float8[] AS v) AS t;

-- Approximate distinct counts of any hashable type.
SELECT dm_approx_distinct(i % 100) AS ints, dm_approx_distinct((i % 37)::text) AS texts,
       dm_approx_distinct(NULL::int) AS nothing
FROM generate_series(1, 10000) AS i;

-- Column profile.
CREATE TABLE profile_demo (id int, city text, amount numeric(10, 2), sold_on date, vip boolean);
INSERT INTO profile_demo
SELECT i, (ARRAY['Lyon', 'Paris', 'Lille'])[1 + i % 3], i * 1.5, date '2024-01-01' + i,
       CASE WHEN i % 4 = 0 THEN NULL ELSE i % 2 = 0 END
FROM generate_series(1, 20) AS i;
SELECT column_name, ordinal, data_type, kind, role, row_count, null_count, distinct_estimate, distinct_exact,
       mean, p50, min_value, max_value, top_values
FROM dm_profile('profile_demo');
SELECT count(*) FROM dm_profile('profile_demo', 50);
SELECT * FROM dm_profile('profile_demo', 0);
DROP TABLE profile_demo;
