-- After ALTER EXTENSION dmine UPDATE (test/upgrade/check.sh): one "what|true-or-false" line per check.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\pset tuples_only on
\pset format unaligned
\pset fieldsep '|'
-- Read, not byte for byte: a later version may write its models in a newer format.
SELECT 'every old K-Means model in a user table is readable', count(dmine.dm_kmeans_info(model)) = 4 FROM user_models;
SELECT 'every old Isolation Forest in a user table is readable', count(dmine.dm_iforest_info(model)) = 2 FROM user_forests;
SELECT 'old models read back from their text form', bool_and(dmine.dm_kmeans_info(as_text::dmine.kmeans_model) = dmine.dm_kmeans_info(model)) FROM user_models;
SELECT 'the models as the 0.1.0 library wrote them are read', count(*) = 3
FROM released_models WHERE (kind = 'kmeans' AND dmine.dm_kmeans_info(model::dmine.kmeans_model) IS NOT NULL)
                        OR (kind = 'iforest' AND dmine.dm_iforest_info(model::dmine.iforest_model) IS NOT NULL);
SELECT 'the models as the 0.1.0 library wrote them score as with 0.1.0', count(*) = 200 AND count(*) FILTER (WHERE
      abs(s.score - CASE WHEN m.kind = 'iforest' THEN dmine.dm_iforest_score(m.model::dmine.iforest_model, p.f)
                         WHEN s.name LIKE '%/distance' THEN dmine.dm_kmeans_distance(m.model::dmine.kmeans_model, p.f)
                         ELSE dmine.dm_kmeans_assign(m.model::dmine.kmeans_model, p.f) END) > 1e-9 * greatest(1, abs(s.score))) = 0
FROM released_scores s JOIN points p USING (i) JOIN released_models m ON m.name = split_part(s.name, '/', 1);
SELECT 'old models describe themselves', bool_and(dmine.dm_kmeans_info(model) IS NOT NULL) FROM user_models;
SELECT 'old models score as before', count(*) = 0
FROM user_scores s JOIN points p USING (i)
LEFT JOIN user_models km ON km.name = s.name LEFT JOIN user_forests fm ON fm.name = s.name
WHERE s.score IS DISTINCT FROM COALESCE(dmine.dm_kmeans_assign(km.model, p.f)::float8, dmine.dm_iforest_score(fm.model, p.f));
SELECT 'an old model refines with the new version', dmine.dm_kmeans_info(dmine.dm_kmeans_refine(m.model, p.f)) IS NOT NULL
FROM user_models m, points p WHERE m.name = 'kmeans' GROUP BY m.name;
SELECT 'the old run is still the latest run', (SELECT run_id FROM dmine.latest_run) = run_id FROM old_results;
SELECT 'the old run''s results show in the views',
       (SELECT count(*) FROM dmine.latest_rfm) = rfm AND (SELECT count(*) FROM dmine.latest_clusters) = clusters
       AND (SELECT count(*) FROM dmine.latest_anomalies) = anomalies AND (SELECT count(*) FROM dmine.latest_steps) = steps
       AND rfm > 0 AND clusters > 0
FROM old_results;
SELECT 'the old configuration is kept', count(*) = 1 FROM dmine.mining_config WHERE config_name = 'up_demo';
SELECT 'new models are fitted by the new version', dmine.dm_kmeans_info(dmine.dm_kmeans(f, 3)) IS NOT NULL
       AND dmine.dm_iforest_info(dmine.dm_iforest(f)) IS NOT NULL FROM points;
