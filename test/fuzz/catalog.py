"""The extension's SQL surface, read from the catalog: every routine and type it owns
(pg_depend), so a new function or type is fuzzed without touching the suite."""
import json

import fuzzvalues as V
from fuzzlib import EXT

ROUTINES = """
SELECT p.proname, n.nspname, p.prokind, p.proretset, p.pronargdefaults,
       coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
       ARRAY(SELECT format_type(a.t, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY a(t, o)
             ORDER BY a.o),
       format_type(p.prorettype, NULL), p.oid::regprocedure::text, p.provolatile
FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = '%s')
ORDER BY p.oid::regprocedure::text""" % EXT

TYPES = """
SELECT format_type(t.oid, NULL), t.typtype, t.typname,
       ARRAY(SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_depend d JOIN pg_type t ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = '%s')
UNION ALL
SELECT format_type(c.reltype, NULL), 'c', c.relname,
       ARRAY(SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_depend d JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND c.relkind = 'r'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = '%s')""" % (EXT, EXT)


NEGATIVE_KEYS = "'(^|_)(size|count|rows|frequency|recency_days)$'"


class Routine:
    def __init__(self, row):
        (self.name, self.schema, self.kind, self.retset, self.ndefaults, names, modes,
         self.types, self.rettype, self.signature, self.volatility) = row
        if modes:
            names = [n for n, m in zip(names, modes) if m in ('i', 'b', 'v')]
        self.names = (list(names) + [''] * len(self.types))[:len(self.types)]
        self.fn = '%s.%s' % (self.schema, self.name)

    def callable(self):
        return 'internal' not in self.types and self.rettype != 'internal'

    def call(self, args):
        a = ', '.join(args)
        if self.kind == 'p':
            return 'CALL %s(%s)' % (self.fn, a)
        if self.retset:
            # the third column counts negative sizes or counts in the rows (a wrapped integer)
            return ('SELECT count(*), max(length(s::text)), sum((SELECT count(*) FROM '
                    'jsonb_each(to_jsonb(s)) e WHERE e.key ~ %s AND jsonb_typeof(e.value) = '
                    "'number' AND e.value::text::numeric < 0)) FROM %s(%s) s" %
                    (NEGATIVE_KEYS, self.fn, a))
        return 'SELECT length((%s(%s))::text) AS v' % (self.fn, a)

    def value_select(self, args):
        return 'SELECT %s(%s) AS v' % (self.fn, ', '.join(args))


class Catalog:
    """Routines and types of the extension, and the values to call them with."""

    def __init__(self, fz):
        self.fz = fz
        fz.sql('SET search_path = pg_catalog')
        self.routines = [Routine(r) for r in fz.sql(ROUTINES).rows]
        types = fz.sql(TYPES).rows
        fz.sql('SET search_path = public, %s' % EXT)
        self.base_types = [t[0] for t in types if t[1] == 'b']
        self.composites = {t[0]: list(t[3]) for t in types if t[1] == 'c'}
        self.models = {t: ['(%s)::%s' % (m, t) for m in V.MODELS.get(t.split('.')[-1], [])]
                       for t in self.base_types}
        returned = {r.rettype for r in self.routines}
        self.value_types = self.base_types + [t for t in self.composites if t in returned]
        for t in self.value_types:
            tab = rt_table(t)
            fz.setup_sql += ['CREATE TEMP TABLE IF NOT EXISTS %s (v %s)' % (tab, t),
                             'CREATE TEMP TABLE IF NOT EXISTS %s_back (v %s)' % (tab, t)]
        fz.reconnect()
        self._fit_discovered()
        self.option_keys = self._option_keys()
        ctx = fz.sql('SELECT %s::text' % V.CTX).first()
        self.ctx_paths = V.json_paths(json.loads(ctx)) if ctx else []

    def _fit_discovered(self):
        """A model of every type from each aggregate producing it, over a small clean set."""
        for r in self.routines:
            if r.kind != 'a' or r.rettype not in self.base_types:
                continue
            if r.types[0] != 'double precision[]' or r.rettype in r.types[1:]:
                continue
            args = ['c0'] + [self.baseline(r, i) for i in range(1, len(r.types))]
            expr = ('(SELECT %s(%s) FROM (SELECT ARRAY[x %% 10, x %% 7]::float8[] '
                    'FROM generate_series(1, 50) x) t(c0))' % (r.fn, ', '.join(args)))
            if self.fz.sql('SELECT %s IS NOT NULL' % expr).first():
                self.models[r.rettype].append('%s::%s' % (expr, r.rettype))

    def _option_keys(self):
        keys = set(V.OPTION_KEYS)
        d = self.fz.sql("SELECT %s.dm_mining_options('{}')::text" % EXT).first()
        if d:
            keys |= set(json.loads(d))
        for t, ms in self.models.items():
            for m in ms[:1]:
                txt = self.fz.sql('SELECT (%s)::text' % m).first()
                try:
                    obj = json.loads(txt)
                except (TypeError, ValueError):
                    continue
                keys |= set(obj.get('options', {}) or {})
                keys |= {k for k, v in obj.items() if isinstance(v, (int, float, str))}
        return sorted(keys)

    # --- values ------------------------------------------------------------------------------
    def baseline(self, r, i):
        name, typ = r.names[i], r.types[i]
        if name in V.BY_NAME and V.BY_NAME[name] is not None:
            return V.cast(V.BY_NAME[name], typ)
        if typ in self.models and self.models[typ]:
            return self.models[typ][0]
        if typ == 'cstring' and r.name.endswith('_in'):
            own = [t for t in self.models if t.split('.')[-1] == r.name[:-3]]
            if own and self.models[own[0]]:
                return '(%s)::text::cstring' % self.models[own[0]][0]
        if typ in V.BY_TYPE:
            return V.cast(V.BY_TYPE[typ], typ) if typ != 'anyelement' else V.BY_TYPE[typ]
        return 'NULL::%s' % typ

    def pool(self, r, i):
        """Every edge value tried at argument i of routine r."""
        typ, name = r.types[i], r.names[i]
        if typ == 'anyelement':
            return list(V.ANYELEMENT)
        if typ in self.models:
            return ['NULL::%s' % typ] + self.models[typ]
        if typ in self.composites:
            return self.composite_values(typ)
        vals = [V.cast(v, typ) for v in V.BY_NAME_POOLS.get(name, V.POOLS.get(typ, ['NULL']))]
        if typ == 'jsonb':
            if name == 'options' or name == '':
                vals += [V.cast(v, typ) for v in V.option_objects(self.option_keys)]
            if name == 'ctx':
                vals += [V.jsonb_set(V.CTX, p, j) for p in self.ctx_paths for j in V.JSON_VALUES]
        return self.capped(vals)

    def capped(self, vals, keep=16):
        """In the default mode, the first values and a seeded sample of the rest."""
        cap = 10 ** 6 if self.fz.cfg.long else 60
        if len(vals) <= cap:
            return vals
        return vals[:keep] + self.fz.rng.sample(vals[keep:], cap - keep)

    def composite_values(self, typ, n=12):
        fields = self.composites[typ]
        vals = ['NULL::%s' % typ, 'ROW(%s)::%s' % (', '.join('NULL' for _ in fields), typ)]
        if typ.endswith('histogram'):
            vals.append(V.HISTOGRAM)
        for _ in range(n):
            parts = []
            for ft in fields:
                pool = V.POOLS.get(ft, ['NULL'])
                parts.append(V.cast(self.fz.rng.choice(pool), ft))
            vals.append('ROW(%s)::%s' % (', '.join(parts), typ))
        return vals


def rt_table(typ):
    return 'fz_rt_' + typ.split('.')[-1]
