-- dmine install script, assembled from extension/parts/*.sql in name order.
\echo Use "CREATE EXTENSION dmine" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS 'dmine: data mining inside PostgreSQL';
