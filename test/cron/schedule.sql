-- pg_cron, for real (part 1 of 2, run by scripts/test.sh just before part 2): schedule a
-- quick CALL dmine.run_mining(...) on a tiny demo warehouse every minute. test/cron/check.sql
-- waits for its run to appear in the run log. Runs in the database pg_cron serves
-- (cron.database_name); skipped when pg_cron is not preloaded there.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%'
       AND current_setting('cron.database_name', true) = current_database() AS cron_ready \gset
\if :cron_ready
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS dmine;
SELECT count(*) AS tables FROM dmine.create_demo_warehouse('cron_check', scale => 0.005) \gset
DELETE FROM dmine.runs WHERE config_name = 'cron_check';
SELECT count(cron.unschedule(jobid)) AS unscheduled FROM cron.job WHERE jobname = 'dmine-cron-check' \gset
SELECT cron.schedule('dmine-cron-check', '* * * * *',
                     $$CALL dmine.run_mining('cron_check', mode => 'quick')$$) AS jobid \gset
\echo 'pg_cron: job' :jobid 'scheduled: CALL dmine.run_mining(''cron_check'', mode => ''quick'') every minute'
\else
\echo pg_cron: skipped (pg_cron is not in shared_preload_libraries for this database)
\endif
