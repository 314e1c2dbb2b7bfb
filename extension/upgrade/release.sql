-- release: DROP EXTENSION dmine takes the dmine schema with it (extension/parts/98_drop_schema.sql).
CREATE FUNCTION @extschema@.dm_extension_drop_hook() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ext oid;
    nsp oid;
BEGIN
    SELECT e.oid, e.extnamespace INTO ext, nsp FROM pg_catalog.pg_extension e WHERE e.extname = 'dmine';
    IF ext IS NULL THEN
        RETURN;
    END IF;
    DELETE FROM pg_catalog.pg_depend
    WHERE classid = 'pg_catalog.pg_namespace'::regclass AND objid = nsp AND objsubid = 0
      AND refclassid = 'pg_catalog.pg_extension'::regclass AND refobjid = ext AND deptype = 'e';
    IF TG_EVENT = 'ddl_command_start' AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_depend d
        WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = nsp
          AND NOT (d.classid = 'pg_catalog.pg_extension'::regclass AND d.objid = ext)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend m
                          WHERE m.classid = d.classid AND m.objid = d.objid AND m.deptype = 'e'
                            AND m.refclassid = 'pg_catalog.pg_extension'::regclass AND m.refobjid = ext))
    THEN
        INSERT INTO pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
        VALUES ('pg_catalog.pg_namespace'::regclass, nsp, 0, 'pg_catalog.pg_extension'::regclass, ext, 0, 'e');
    END IF;
END
$$;
CREATE EVENT TRIGGER dmine_drop_extension_start ON ddl_command_start WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION @extschema@.dm_extension_drop_hook();
CREATE EVENT TRIGGER dmine_drop_extension_end ON ddl_command_end WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION @extschema@.dm_extension_drop_hook();
