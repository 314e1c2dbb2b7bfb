"""Exit 0 when every count in a dmine-report JSON export is written as an integer (694, not
694.0), 1 otherwise (listing the keys), 2 when the file holds no count at all.

    /usr/bin/python3 report/test/json_counts.py report.json
"""
import json
import sys

COUNT_KEYS = {'count', 'counts', 'rows', 'customers', 'size', 'lines_scored', 'anomalies',
              'row_count', 'null_count', 'distinct_estimate', 'points', 'orders', 'lines'}


class Written(float):
    """A number written with a fraction or an exponent."""


def walk(node, key, seen, bad):
    if isinstance(node, dict):
        for k, v in node.items():
            walk(v, k, seen, bad)
    elif isinstance(node, list):
        for v in node:
            walk(v, key, seen, bad)
    elif key in COUNT_KEYS and isinstance(node, (int, float)) and not isinstance(node, bool):
        seen.append(key)
        if isinstance(node, Written) and node.is_integer():
            bad.add(key)


def main(path):
    with open(path, encoding='utf-8') as f:
        data = json.load(f, parse_float=Written)
    seen, bad = [], set()
    walk(data, None, seen, bad)
    if not seen:
        print('no count in %s' % path)
        return 2
    if bad:
        print('counts written as decimals: %s' % ', '.join(sorted(bad)))
        return 1
    print('%d counts, all integers' % len(seen))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
