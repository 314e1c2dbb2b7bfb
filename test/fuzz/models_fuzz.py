"""Mutated model values of every base type of the extension: text (truncation, flips, deleted or
duplicated fields, hostile numbers, deep nesting and huge arrays in each field) and binary
(COPY FORMAT binary, mutated, with and without a valid checksum, loaded back). A value that is
accepted must read back (fz.roundtrip) and goes through every routine taking its type."""
import base64
import re
import shlex
import struct
import sys

import mutate
from catalog import Catalog, rt_table
from fuzzlib import Fuzz, copy_binary_file, copy_binary_value
from routines_fuzz import Runner

STATE_CASES = 60  # first-model mutations tried per state type in the default mode
FEATURES = ["'{1,2}'", "NULL", "'{1,2,3}'", "'{NaN,1}'", "'{1}'"]


class ModelFuzz:
    def __init__(self, fz):
        self.fz = fz
        self.cat = Catalog(fz)
        self.runner = Runner(fz, self.cat)
        for t in self.cat.base_types:
            fz.setup_sql += ['CREATE TEMP TABLE IF NOT EXISTS %s (v %s)' % (bin_table(t), t),
                             'CREATE TEMP TABLE IF NOT EXISTS %s_back (v %s)' % (bin_table(t), t)]
        fz.reconnect()

    def consumers(self, typ):
        return [r for r in self.cat.routines if r.callable() and typ in r.types]

    def consume(self, typ, model):
        """Every routine taking typ, with model in its place."""
        for r in self.consumers(typ):
            pos = r.types.index(typ)
            if r.kind == 'a':
                cols = [self.runner.column(r, i) for i in range(len(r.types))]
                cols[pos] = model
                self.runner.agg_call(r, cols, 20)
                continue
            base = [self.cat.baseline(r, i) for i in range(len(r.types))]
            base[pos] = model
            feats = [i for i, t in enumerate(r.types) if t == 'double precision[]']
            for f in FEATURES if feats else [None]:
                args = list(base)
                if f is not None:
                    args[feats[0]] = '(%s)::float8[]' % f
                self.runner.call(r, args)

    def text_case(self, typ, label, expr):
        fz = self.fz
        tab = rt_table(typ)
        fz.sql('TRUNCATE %s' % tab)
        sel = 'SELECT (%s)::%s AS v' % (expr, typ)
        if fz.sql('INSERT INTO %s %s' % (tab, sel), replay=sel).ok:
            fz.roundtrip(typ, tab, sel)
            self.consume(typ, '(%s)::%s' % (expr, typ))

    def binary_case(self, typ, label, data):
        fz = self.fz
        tab = bin_table(typ)
        stream = copy_binary_file(data)
        fz.sql('TRUNCATE %s' % tab)
        fz.wrap = lambda q: shell_replay(stream, typ, tab, q)
        try:
            res = fz.sql('COPY %s FROM STDIN (FORMAT binary)' % tab, copy_in=stream,
                         replay='SELECT count(*) FROM %s' % tab)
            if res.ok:
                fz.roundtrip(typ, tab, 'SELECT v FROM %s' % tab)
                self.consume(typ, '(SELECT v FROM %s)' % tab)
        finally:
            fz.wrap = None

    def seeds(self, typ):
        """Small fitted models of typ: (SQL expression, text, binary value)."""
        out = []
        for m in self.cat.models[typ]:
            txt = self.fz.sql('SELECT (%s)::text' % m).first()
            if not txt or len(txt) > 6000:
                continue
            raw = self.fz.sql('COPY (SELECT %s) TO STDOUT (FORMAT binary)' % m, copy_out=True)
            out.append((m, txt, copy_binary_value(raw.first()) if raw.ok else None))
        return out

    def cases(self, typ, seed, magics):
        expr, txt, raw = seed
        rng, long = self.fz.rng, self.fz.cfg.long
        out = [('text', typ, l, e) for l, e in mutate.text_mutations(txt, rng, long)]
        if raw:
            out += [('binary', typ, l, b) for l, b in mutate.binary_mutations(
                raw, rng, long, [m for m in magics if m != magic(raw)])]
        return out

    def run(self):
        fz = self.fz
        seeds = {t: self.seeds(t) for t in self.cat.base_types}
        magics = {magic(s[2]) for ss in seeds.values() for s in ss if s[2]}
        first, rest = [], []
        for t, ss in seeds.items():
            print('fuzz models: %s: %d fitted models' % (t, len(ss)))
            for i, s in enumerate(ss):
                cases = self.cases(t, s, magics)
                if i == 0 and t.endswith('_summary') and not fz.cfg.long:
                    # Aggregate states (base64 of checksummed bytes; test/pgtap/states.sql sets
                    # every payload byte): a sample of each first one within the default bound.
                    fz.rng.shuffle(cases)
                    first.extend(cases[:STATE_CASES])
                    rest.extend(cases[STATE_CASES:])
                    continue
                (first if i == 0 else rest).extend(cases)
        fz.rng.shuffle(rest)
        done = 0
        for kind, typ, label, value in first + rest:
            if done >= len(first) and fz.time_left() <= 0:
                break
            fz.label = '%s %s: %s' % (typ, kind, label)
            fz.case_class = '%s %s %s' % (typ, kind, re.sub(r'\d+', 'N', label.split(' ', 1)[-1]))
            if fz.skip_class(fz.case_class):
                continue
            (self.text_case if kind == 'text' else self.binary_case)(typ, label, value)
            done += 1
        fz.label = None
        print('fuzz models: %d of %d mutations tried (all of the first model of each type)' %
              (done, len(first) + len(rest)))


def magic(raw):
    return struct.unpack('<I', raw[:4])[0] if raw and len(raw) >= 4 else None


def bin_table(typ):
    return 'fz_bin_' + typ.split('.')[-1]


def shell_replay(stream, typ, tab, stmt):
    """A shell line loading the binary value into a table, then running stmt on it."""
    t = 'fz_replay_' + typ.split('.')[-1]
    return ('echo %s | base64 -d | psql -X -c %s -c %s -c %s -c %s' % (
        base64.b64encode(stream).decode(),
        shlex.quote('CREATE TABLE IF NOT EXISTS %s (v %s)' % (t, typ)),
        shlex.quote('TRUNCATE %s' % t), shlex.quote('COPY %s FROM STDIN (FORMAT binary)' % t),
        shlex.quote(stmt.replace(tab, t))))


if __name__ == '__main__':
    fz = Fuzz('models')
    ModelFuzz(fz).run()
    sys.exit(fz.finish())
