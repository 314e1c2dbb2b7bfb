-- pg_cron, for real (part 2 of 2): wait (up to 150 s after scheduling) for the scheduled
-- CALL dmine.run_mining('cron_check', ...) to finish and appear in dmine.runs, unschedule it,
-- drop the demo warehouse, and fail unless the job ran and its run succeeded.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\pset tuples_only on
\pset format unaligned
SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') AS cron_there \gset
\if :cron_there
SELECT EXISTS (SELECT FROM cron.job WHERE jobname = 'dmine-cron-check') AS cron_scheduled \gset
\else
\set cron_scheduled false
\endif
\if :cron_scheduled
-- pg_cron 1.4's scheduler can miss the invalidation that announces a new job when a burst of DDL
-- (the pgTAP suites) overflows its invalidation queue; the job then never starts. Touching the
-- job announces it again (its trigger invalidates the scheduler's job cache).
UPDATE cron.job SET active = true
WHERE jobname = 'dmine-cron-check' AND NOT EXISTS (SELECT FROM dmine.runs WHERE config_name = 'cron_check');
CREATE TEMP TABLE outcome (run_id bigint, status text, mode text, error text, job_status text, job_message text);
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '150 seconds';
BEGIN
    LOOP
        EXIT WHEN EXISTS (SELECT FROM dmine.runs WHERE config_name = 'cron_check' AND status <> 'running')
               OR clock_timestamp() > deadline;
        PERFORM pg_sleep(1);
    END LOOP;
    INSERT INTO outcome
    SELECT r.run_id, r.status, r.mode, r.error, d.status, d.return_message
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT * FROM dmine.runs WHERE config_name = 'cron_check' AND status <> 'running'
                       ORDER BY run_id LIMIT 1) AS r ON true
    LEFT JOIN LATERAL (SELECT d.* FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                       WHERE j.jobname = 'dmine-cron-check' ORDER BY d.runid LIMIT 1) AS d ON true;
END
$$;
SELECT count(cron.unschedule(jobid)) AS unscheduled FROM cron.job WHERE jobname = 'dmine-cron-check' \gset
DROP SCHEMA IF EXISTS cron_check CASCADE;
DELETE FROM dmine.mining_config WHERE config_name = 'cron_check';
SELECT CASE WHEN status = 'succeeded'
            THEN format('pg_cron: the job ran (%s) and logged run %s of cron_check: %s, %s mode',
                        job_status, run_id, status, mode)
            ELSE format('pg_cron: FAILED: run %s %s %s; job %s %s', run_id, COALESCE(status, 'not found'), error,
                        COALESCE(job_status, 'never started'), job_message) END
FROM outcome;
DELETE FROM dmine.runs WHERE config_name = 'cron_check';
SELECT COALESCE(bool_and(status = 'succeeded'), false) AS cron_ok FROM outcome \gset
\if :cron_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'pg_cron check failed'; END $$;
\endif
\else
\echo pg_cron: skipped (nothing scheduled)
\endif
