-- Anomalies in context: one line scored against all its context summaries at once (the anomaly
-- step's pass 2). See docs/anomaly.md.

-- Keys are "any": integer keys are looked up as integers, text keys as text, other types by their
-- text form; a NULL key uses the summary's overall group.
CREATE FUNCTION dm_context_line_score(price context_summary, quantity_by_product context_summary,
                                      quantity_by_customer context_summary, amount_by_customer context_summary,
                                      time_by_store context_summary, product "any", customer "any", store "any",
                                      unit_price float8, quantity float8, amount float8, at timestamp,
                                      extra_summaries context_summary[] DEFAULT NULL, extras float8[] DEFAULT NULL,
                                      leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_line_score' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_line_score(context_summary, context_summary, context_summary, context_summary, context_summary, "any", "any", "any", float8, float8, float8, timestamp, context_summary[], float8[], boolean) IS
    'context score in [0, 1] of a line against its summaries (price by product, quantity by product and customer, amount by customer, time by store, extra features overall), each group falling back to all lines; NULL when no feature can be assessed';
CREATE FUNCTION dm_context_line_explain(price context_summary, quantity_by_product context_summary,
                                        quantity_by_customer context_summary, amount_by_customer context_summary,
                                        time_by_store context_summary, product "any", customer "any", store "any",
                                        unit_price float8, quantity float8, amount float8, at timestamp,
                                        extra_summaries context_summary[] DEFAULT NULL, extras float8[] DEFAULT NULL,
                                        leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_line_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_line_explain(context_summary, context_summary, context_summary, context_summary, context_summary, "any", "any", "any", float8, float8, float8, timestamp, context_summary[], float8[], boolean) IS
    'the figures behind dm_context_line_score: surprises (price, quantity, amount, time, extras; NULL when not assessed), score, feature (1-based: the dominant feature, the line''s type)';
