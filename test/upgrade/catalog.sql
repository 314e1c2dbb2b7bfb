-- The SQL surface of the installed dmine, one line per object or property, sorted: what a fresh
-- install and an updated one must have alike. test/upgrade/catalog_diff.sh runs it in two
-- databases and diffs the outputs. No OID appears: objects are named (regprocedure, regtype,
-- pg_describe_object), bodies are given by their md5 (the name says which body differs).
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
SET search_path = pg_catalog;
WITH ext AS (
    SELECT oid, extnamespace FROM pg_catalog.pg_extension WHERE extname = 'dmine'
), members AS (
    SELECT d.classid, d.objid, pg_catalog.pg_describe_object(d.classid, d.objid, 0) AS what
    FROM pg_catalog.pg_depend d, ext
    WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), lines AS (
    -- the extension itself
    SELECT 'extension | relocatable=' || e.extrelocatable || ' version=' || e.extversion
           || ' schema=' || e.extnamespace::regnamespace
           || ' config=' || COALESCE((SELECT pg_catalog.string_agg(c::regclass::text || ' where ' || COALESCE(w, ''), ', ' ORDER BY c::regclass::text)
                                      FROM unnest(e.extconfig, e.extcondition) AS u(c, w)), '')
    FROM pg_catalog.pg_extension e WHERE e.extname = 'dmine'
    UNION ALL
    SELECT 'schema ' || n.nspname || ' | comment=' || COALESCE(pg_catalog.obj_description(n.oid, 'pg_namespace'), '')
           || ' acl=' || COALESCE(n.nspacl::text, '')
    FROM pg_catalog.pg_namespace n, ext WHERE n.oid = ext.extnamespace
    UNION ALL
    -- every member, with its comment
    SELECT 'member ' || m.what || ' | comment=' || COALESCE(pg_catalog.obj_description(m.objid, c.relname), '')
    FROM members m JOIN pg_catalog.pg_class c ON c.oid = m.classid
    UNION ALL
    -- routines: signature, result, arguments with defaults, and every property
    SELECT 'routine ' || p.oid::regprocedure || ' | kind=' || p.prokind::text
           || ' returns=' || COALESCE(pg_catalog.pg_get_function_result(p.oid), '')
           || ' args=(' || pg_catalog.pg_get_function_arguments(p.oid) || ')'
           || ' lang=' || l.lanname || ' volatile=' || p.provolatile::text || ' strict=' || p.proisstrict
           || ' secdef=' || p.prosecdef || ' leakproof=' || p.proleakproof || ' parallel=' || p.proparallel::text
           || ' cost=' || p.procost || ' rows=' || p.prorows || ' support=' || p.prosupport
           || ' config=' || COALESCE(p.proconfig::text, '') || ' acl=' || COALESCE(p.proacl::text, '')
           || CASE WHEN l.lanname = 'c' THEN ' symbol=' || p.prosrc || ' library=' || COALESCE(p.probin, '')
                   ELSE ' body_md5=' || pg_catalog.md5(p.prosrc) END
    FROM members m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT 'aggregate ' || a.aggfnoid::regprocedure || ' | kind=' || a.aggkind::text || ' trans=' || a.aggtransfn
           || ' final=' || a.aggfinalfn || ' combine=' || a.aggcombinefn || ' serial=' || a.aggserialfn
           || ' deserial=' || a.aggdeserialfn || ' stype=' || a.aggtranstype::regtype || ' sspace=' || a.aggtransspace
           || ' finalextra=' || a.aggfinalextra || ' finalmodify=' || a.aggfinalmodify::text
           || ' initval=' || COALESCE(a.agginitval, '<null>') || ' mtrans=' || a.aggmtransfn
           || ' sortop=' || a.aggsortop::regoperator::text
    FROM members m JOIN pg_catalog.pg_aggregate a ON m.classid = 'pg_catalog.pg_proc'::regclass AND a.aggfnoid = m.objid
    UNION ALL
    SELECT 'type ' || t.oid::regtype || ' | type=' || t.typtype::text || ' len=' || t.typlen || ' byval=' || t.typbyval
           || ' align=' || t.typalign::text || ' storage=' || t.typstorage::text || ' category=' || t.typcategory::text
           || ' in=' || t.typinput || ' out=' || t.typoutput || ' recv=' || t.typreceive || ' send=' || t.typsend
           || ' analyze=' || t.typanalyze || ' subscript=' || t.typsubscript || ' base=' || t.typbasetype::regtype
           || ' notnull=' || t.typnotnull || ' default=' || COALESCE(t.typdefault, '<null>')
           || ' enum=' || COALESCE((SELECT pg_catalog.string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '')
           || ' acl=' || COALESCE(t.typacl::text, '')
    FROM members m JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    -- relations (tables, views, sequences, composite types) and their columns
    SELECT 'relation ' || c.oid::regclass || ' | kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
           || ' options=' || COALESCE(c.reloptions::text, '') || ' rls=' || c.relrowsecurity
           || ' acl=' || COALESCE(c.relacl::text, '')
    FROM members m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' | type=' || pg_catalog.format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' default=' || COALESCE(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '')
           || ' collation=' || COALESCE(NULLIF(a.attcollation, 0)::regcollation::text, '')
           || ' comment=' || COALESCE(pg_catalog.col_description(c.oid, a.attnum), '')
    FROM members m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    -- column order matters to SELECT * and COPY: an updated table adds new columns at the end
    SELECT 'column order ' || c.oid::regclass || ' | '
           || pg_catalog.string_agg(a.attname::text, ', ' ORDER BY a.attnum)
    FROM members m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    GROUP BY c.oid
    UNION ALL
    SELECT 'view ' || c.oid::regclass || ' | ' || pg_catalog.regexp_replace(pg_catalog.pg_get_viewdef(c.oid), '\s+', ' ', 'g')
    FROM members m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
    WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || '.' || co.conname || ' | ' || pg_catalog.pg_get_constraintdef(co.oid)
    FROM members m JOIN pg_catalog.pg_constraint co ON m.classid = 'pg_catalog.pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'index ' || i.indexrelid::regclass || ' | ' || pg_catalog.pg_get_indexdef(i.indexrelid)
    FROM members m JOIN pg_catalog.pg_index i ON m.classid = 'pg_catalog.pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || tg.tgrelid::regclass || '.' || tg.tgname || ' | ' || pg_catalog.pg_get_triggerdef(tg.oid)
    FROM members m JOIN pg_catalog.pg_trigger tg ON m.classid = 'pg_catalog.pg_class'::regclass AND tg.tgrelid = m.objid
    WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT 'policy ' || po.polrelid::regclass || '.' || po.polname || ' | cmd=' || po.polcmd::text
           || ' using=' || COALESCE(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '')
           || ' check=' || COALESCE(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '')
    FROM members m JOIN pg_catalog.pg_policy po ON m.classid = 'pg_catalog.pg_class'::regclass AND po.polrelid = m.objid
    UNION ALL
    SELECT 'sequence ' || s.seqrelid::regclass || ' | type=' || s.seqtypid::regtype || ' start=' || s.seqstart
           || ' increment=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cycle=' || s.seqcycle
    FROM members m JOIN pg_catalog.pg_sequence s ON m.classid = 'pg_catalog.pg_class'::regclass AND s.seqrelid = m.objid
    UNION ALL
    SELECT 'event trigger ' || et.evtname || ' | event=' || et.evtevent || ' function=' || et.evtfoid::regprocedure
           || ' enabled=' || et.evtenabled::text || ' tags=' || COALESCE(et.evttags::text, '')
    FROM members m JOIN pg_catalog.pg_event_trigger et ON m.classid = 'pg_catalog.pg_event_trigger'::regclass AND et.oid = m.objid
    UNION ALL
    SELECT 'operator ' || o.oid::regoperator || ' | function=' || o.oprcode || ' commutator=' || o.oprcom::regoperator::text
           || ' negator=' || o.oprnegate::regoperator::text
    FROM members m JOIN pg_catalog.pg_operator o ON m.classid = 'pg_catalog.pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    SELECT 'cast ' || ca.castsource::regtype || ' -> ' || ca.casttarget::regtype || ' | function=' || ca.castfunc::regprocedure::text
           || ' context=' || ca.castcontext::text || ' method=' || ca.castmethod::text
    FROM members m JOIN pg_catalog.pg_cast ca ON m.classid = 'pg_catalog.pg_cast'::regclass AND ca.oid = m.objid
)
SELECT l FROM lines AS t(l) ORDER BY l COLLATE "C";
