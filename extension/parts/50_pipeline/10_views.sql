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
GROUP BY t.segment
ORDER BY segment_order, t.segment;  -- best segment first
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
CREATE VIEW latest_forecasts WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_forecasts t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);
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
    'RFM segments of the latest successful run: customers, share, monetary, average recency/frequency/monetary, segment_order (1 = best), in segment_order';
COMMENT ON VIEW latest_trends IS 'sales per day, week and month with trend and growth of the latest successful run';
COMMENT ON VIEW latest_seasonality IS 'monthly and weekday seasonality indices of the latest successful run';
COMMENT ON VIEW latest_heatmap IS 'revenue per weekday x hour of the latest successful run';
COMMENT ON VIEW latest_breakdowns IS 'revenue by dimension attribute value (share, growth, ABC class) of the latest successful run';
COMMENT ON VIEW latest_concentration IS 'concentration of revenue (Gini, top 20% share, ABC counts) of the latest successful run';
COMMENT ON VIEW latest_forecasts IS
    'revenue history and forecast with 80%/95% intervals (overall, per product family, per store) of the latest successful run';
