

-- The run --------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION dm_run_raise(message text, sqlstate text, detail text, hint text) RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_raise';

CREATE FUNCTION dm_run_can_commit() RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_can_commit';
