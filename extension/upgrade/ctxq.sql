-- 0.1.0 -> 0.2.0: the anomaly step scores a line against its context summaries in one call.
-- New: dm_context_line_score and dm_context_line_explain (created by the replay of the install
-- script's routines). The context_summary format is version 2 (quantiles per group); no
-- structural statement is needed.
SELECT 1 WHERE false;
