-- The test resealer: a state or model value's bytes with a valid envelope again after a test
-- altered them (size kept, checksum recomputed: Fletcher-64 for kind 1, the states', FNV-1a for
-- kind 0, the models'), so that hostile payloads reach the value's own checks. \i it from a test.
CREATE FUNCTION pg_temp.fnv(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE h numeric := 14695981039346656037; m numeric := 18446744073709551616; out bytea := '\x0000000000000000';
BEGIN
    FOR i IN 0 .. length(b) - 1 LOOP
        h := ((h - mod(h, 256) + (mod(h, 256)::int # get_byte(b, i))) * 1099511628211) % m;
    END LOOP;
    FOR i IN 0 .. 7 LOOP out := set_byte(out, i, mod(h, 256)::int); h := div(h, 256); END LOOP;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.fletcher(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE a bigint := 0; s bigint := 0; w bigint; out bytea := '\x0000000000000000';
BEGIN
    FOR i IN 0 .. (length(b) + 3) / 4 - 1 LOOP
        w := 0;
        FOR j IN REVERSE 3 .. 0 LOOP
            w := w * 256 + CASE WHEN 4 * i + j < length(b) THEN get_byte(b, 4 * i + j) ELSE 0 END;
        END LOOP;
        a := (a + w) % 4294967295;
        s := (s + a) % 4294967295;
    END LOOP;
    FOR i IN 0 .. 3 LOOP
        out := set_byte(set_byte(out, i, (a % 256)::int), i + 4, (s % 256)::int);
        a := a / 256; s := s / 256;
    END LOOP;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.reseal(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT substr(b, 1, 16)
           || CASE get_byte(b, 6) WHEN 1 THEN pg_temp.fletcher(substr(b, 25)) ELSE pg_temp.fnv(substr(b, 25)) END
           || substr(b, 25) $$;

-- Every byte from offset 24 of a state's text form set to 0, 1, 127 and 255, resealed, read with
-- `reader` as a value of type `typ`: the distinct outcomes ('ok' or the SQLSTATE).
CREATE FUNCTION pg_temp.hostile(t text, typ regtype, reader text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE b bytea := decode(t, 'base64'); states text[] := '{}'; v bytea; st text;
BEGIN
    FOR i IN 24 .. length(b) - 1 LOOP
        FOREACH st IN ARRAY ARRAY['0', '1', '127', '255'] LOOP
            v := pg_temp.reseal(set_byte(b, i, st::int));
            BEGIN
                EXECUTE format('SELECT %s(%L::%s)::text', reader, encode(v, 'base64'), typ);
                states := states || 'ok'::text;
            EXCEPTION WHEN OTHERS THEN
                states := states || SQLSTATE::text;
            END;
        END LOOP;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT unnest(states) ORDER BY 1);
END $$;
