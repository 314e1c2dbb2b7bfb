"""Mutations of model values: their JSON text and their binary envelope (magic u32, version u16,
checksum kind u16, payload size u64, checksum u64 (FNV-1a, or Fletcher-64 for kind 1), little-endian, then the payload).
Text mutations are SQL expressions (deep nesting is written with repeat(), so a replay line
stays short); binary ones are byte strings."""
import json
import re
import struct

from fuzzlib import lit

NUMBER_RE = re.compile(r'(?<![\w."])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
NUMBERS = ['1e400', '-1e400', '1e-400', '-0', '"NaN"', '"Infinity"', 'NaN', 'Infinity',
           '18446744073709551616', '18446744073709551615', '9223372036854775808',
           '9223372036854775807', '-9223372036854775809', '4294967296', '4294967295', '2147483648',
           '-1', '0', '1', '256', '257', '65536', '5e-324', '1e308', '-1e308', '1.5', 'true',
           'null', '"1"', '[]', '{}', '1e19', '0.0']
WHOLE = ["''", "' '", "'{}'", "'[]'", "'null'", "'\"x\"'", "'1e400'", "'{\"type\": 1}'"]
HEADER = 24
FNV_OFFSET, FNV_PRIME = 0xcbf29ce484222325, 0x100000001b3


def fnv1a(data):
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def fletcher64(data):
    """Checksum kind 1 (aggregate states): Fletcher-64 over little-endian 32-bit words."""
    a = b = 0
    padded = bytes(data) + b'\0' * (-len(data) % 4)
    for (w,) in struct.iter_unpack('<I', padded):
        a = (a + w) % 0xFFFFFFFF
        b = (b + a) % 0xFFFFFFFF
    return (b << 32) | a


def reseal(value, payload):
    """The envelope of value around a new payload, with its size and checksum fixed."""
    magic, version, kind = struct.unpack('<IHH', value[:8])
    checksum = fletcher64(payload) if kind == 1 else fnv1a(payload)
    return struct.pack('<IHHQQ', magic, version, kind, len(payload), checksum) + payload


def splice(obj, path, hole='"\x00HOLE\x00"'):
    """(prefix, suffix) of the compact JSON of obj around the value at path."""
    o = json.loads(json.dumps(obj))
    cur = o
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = '\x00HOLE\x00'
    text = json.dumps(o, separators=(',', ':'))
    marker = json.dumps('\x00HOLE\x00')
    i = text.index(marker)
    return text[:i], text[i + len(marker):]


def get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def paths(obj, prefix=(), limit=3):
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,), limit)
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:limit]):
            out.append(prefix + (i,))
            out += paths(v, prefix + (i,), limit)
    return out


def text_mutations(text, rng, long):
    """(label, SQL text expression) of mutated versions of a model's text."""
    out = [('whole %s' % w, w) for w in WHOLE]
    out += [('trailing', lit(text + ' x')), ('doubled', lit(text + text)), ('bom', lit('\ufeff' + text)),
            ('spaces', "repeat(' ', 100000) || %s" % lit(text))]
    n = len(text)
    for cut in sorted({0, 1, n - 1, n // 2} | {rng.randrange(n) for _ in range(40 if long else 12)}):
        out.append(('truncated at %d' % cut, lit(text[:cut])))
    for _ in range(200 if long else 20):
        i = rng.randrange(n)
        ch = chr(rng.choice([rng.randint(32, 126), ord('"'), ord('{'), ord(']'), ord('\\')]))
        op = rng.choice(['flip', 'delete', 'insert'])
        t = (text[:i] + ch + text[i + 1:] if op == 'flip' else
             text[:i] + text[i + 1:] if op == 'delete' else text[:i] + ch + text[i:])
        out.append(('%s at %d' % (op, i), lit(t)))
    nums = list(NUMBER_RE.finditer(text))
    picks = nums if long or len(nums) <= 25 else rng.sample(nums, 25)
    for m in picks:
        for v in (NUMBERS if long else rng.sample(NUMBERS, 4)):
            out.append(('number %s at %d -> %s' % (m.group(), m.start(), v),
                        lit(text[:m.start()] + v + text[m.end():])))
    try:
        obj = json.loads(text)
    except ValueError:
        return out
    out += structural(obj, rng, long)
    return out


def structural(obj, rng, long):
    out = []
    dumps = lambda o: json.dumps(o, separators=(',', ':'))
    every = paths(obj)
    top = [p for p in every if len(p) == 1]
    inner = top + rng.sample([p for p in every if len(p) > 1],
                             min(len(every) - len(top), 60 if long else 12))
    for k in obj:
        o = dict(obj)
        del o[k]
        out.append(('deleted %s' % k, lit(dumps(o))))
        dup = dumps(obj)[:-1] + ',%s:%s}' % (json.dumps(k), rng.choice(NUMBERS))
        out.append(('duplicated %s' % k, lit(dup)))
    # every number field: each hostile number at the top level, a sample of them deeper down
    for p in every:
        v = get(obj, p)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or len(p) > 3:
            continue
        pre, suf = splice(obj, p)
        name = '.'.join(str(x) for x in p)
        for n in NUMBERS if long or len(p) == 1 else rng.sample(NUMBERS, 6):
            out.append(('%s = %s' % (name, n), lit(pre + n + suf)))
    depths = [1000, 60000, 100000, 200000] + ([500000, 1000000] if long else [])
    for p in inner:
        pre, suf = splice(obj, p)
        name = '.'.join(str(x) for x in p)
        for d in depths if len(p) == 1 else depths[::2]:
            out.append(('%s nested %d deep in []' % (name, d),
                        "%s || repeat('[', %d) || repeat(']', %d) || %s" % (lit(pre), d, d, lit(suf))))
        d = rng.choice(depths)
        out.append(('%s nested %d deep in {}' % (name, d),
                    "%s || repeat('{\"a\":', %d) || '1' || repeat('}', %d) || %s" %
                    (lit(pre), d, d, lit(suf))))
        out.append(('%s huge array' % name,
                    "%s || '[' || repeat('0,', 1000000) || '0]' || %s" % (lit(pre), lit(suf))))
        for v in ('[]', '{}', '"x"', 'null', '[[]]', '[null]', '[1e400]', '-1'):
            out.append(('%s = %s' % (name, v), lit(pre + v + suf)))
    return out


def binary_mutations(value, rng, long, other_magics=()):
    """(label, bytes) of mutated versions of a model's binary value."""
    n = len(value)
    payload = value[HEADER:]
    out = [('empty', b''), ('header only', value[:HEADER]), ('header - 1', value[:HEADER - 1])]
    for cut in {rng.randrange(n) for _ in range(8)}:
        out.append(('raw truncated at %d' % cut, value[:cut]))
    for _ in range(8):
        i = rng.randrange(n)
        out.append(('raw flip at %d' % i, value[:i] + bytes([value[i] ^ (1 << rng.randrange(8))]) +
                    value[i + 1:]))
    magic, version, reserved, size, check = struct.unpack('<IHHQQ', value[:HEADER])
    for v in (0, 2, 65535):
        out.append(('version %d' % v, struct.pack('<IHHQQ', magic, v, reserved, size, check) + payload))
    out.append(('unknown checksum kind', struct.pack('<IHHQQ', magic, version, 2, size, check) + payload))
    for s in (size - 1, size + 1, 2 ** 64 - 1, 2 ** 63):
        out.append(('size %d' % s, struct.pack('<IHHQQ', magic, version, reserved, s, check) + payload))
    for m in other_magics:
        out.append(('magic %08x' % m, struct.pack('<IHHQQ', m, version, reserved, size, check) + payload))
    # resealed: the checksum is right, so the decoder itself meets the damage
    rounds = 400 if long else 50
    specials8 = [struct.pack('<d', x) for x in (float('nan'), float('inf'), -float('inf'), 1e308,
                                                5e-324, -0.0, -1.0)]
    specials8 += [struct.pack('<Q', x) for x in (2 ** 64 - 1, 2 ** 63, 2 ** 32, 0, 257)]
    specials4 = [struct.pack('<I', x) for x in (0, 2 ** 32 - 1, 2 ** 31, 1 << 20, 256, 257)]
    # the fixed fields at the start of a payload (sizes, counts, seeds): every special value
    for i in range(0, min(64, len(payload) - 7), 4):
        for sp in specials8 + (specials4 if i < 32 else []):
            p = bytearray(payload)
            p[i:i + len(sp)] = sp
            out.append(('resealed field at %d = %s' % (i, sp.hex()), reseal(value, bytes(p))))
    for _ in range(rounds):
        op = rng.choice(['flip', 'u64', 'u32', 'truncate', 'extend', 'zero'])
        i = rng.randrange(max(1, len(payload)))
        p = bytearray(payload)
        if op == 'flip':
            p[i] ^= 1 << rng.randrange(8)
        elif op == 'u64':
            p[i:i + 8] = rng.choice(specials8)
        elif op == 'u32':
            p[i:i + 4] = rng.choice(specials4)
        elif op == 'truncate':
            p = p[:i]
        elif op == 'extend':
            p += bytes(rng.randrange(256) for _ in range(rng.choice([1, 8, 100])))
        else:
            p[i:i + 16] = bytes(16)
        out.append(('resealed %s at %d' % (op, i), reseal(value, bytes(p))))
    return out
