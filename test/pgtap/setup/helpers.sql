-- Helpers for the pgTAP suites, installed by scripts/test.sh into the test database.
-- psql variable :data is the reference data directory (../shared/data beside the checkout).
CREATE SCHEMA dmine_test;

CREATE TABLE dmine_test.settings (data_dir text NOT NULL);
INSERT INTO dmine_test.settings VALUES (:'data');

-- True when the reference data directory can be read by the server.
CREATE FUNCTION dmine_test.data_available() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_stat_file((SELECT data_dir FROM dmine_test.settings) || '/README.md');
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RETURN false;
END
$$;

-- Load a gzip CSV file with a header line (a path under the data directory) into a table.
CREATE FUNCTION dmine_test.load_csv(target regclass, relative_path text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    loaded bigint;
BEGIN
    EXECUTE format('COPY %s FROM PROGRAM %L WITH (FORMAT csv, HEADER)', target,
                   'gzip -dc ' || (SELECT data_dir FROM dmine_test.settings) || '/' || relative_path);
    GET DIAGNOSTICS loaded = ROW_COUNT;
    RETURN loaded;
END
$$;

-- The libpq connection string of this database over the server's first socket directory (else
-- localhost), as the current user: for dblink sessions that commit on their own.
CREATE FUNCTION dmine_test.self_conninfo() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('host=%s port=%s dbname=%s user=%s',
                  COALESCE(NULLIF(split_part(current_setting('unix_socket_directories'), ',', 1), ''), 'localhost'),
                  current_setting('port'), current_database(), current_user)
$$;
