#!/usr/bin/env python3
"""Print the upgrade pieces with their `-- @install FIRST LINE` lines replaced by the statement of
the install script that starts with that line (its first line without comments, whitespace
collapsed). A piece thus names the types, C functions, aggregates and comments it creates again,
and their definitions stay the install script's own. A name that matches no statement, or more
than one, stops the build.

Usage: upgrade_pieces.py INSTALL_SCRIPT PIECE... > pieces.sql"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sql_statements import first_line, statements, strip_comments  # noqa: E402

DIRECTIVE = '-- @install '


def index(install):
    """The install script's statements by their first line."""
    by_line = {}
    for stmt in statements(install):
        by_line.setdefault(first_line(stmt), []).append(strip_comments(stmt))
    return by_line


def expand(piece, path, by_line):
    """The piece with every directive replaced by its statement."""
    out = []
    for n, line in enumerate(piece.split('\n'), 1):
        if not line.startswith(DIRECTIVE):
            out.append(line)
            continue
        key = ' '.join(line[len(DIRECTIVE):].split())
        found = by_line.get(key, [])
        if len(found) != 1:
            sys.exit('%s:%d: %s statement of the install script starts with "%s"'
                     % (path, n, 'no' if not found else 'more than one', key))
        out.append(found[0])
    return '\n'.join(out)


def main():
    by_line = index(open(sys.argv[1], encoding='utf-8').read())
    for path in sys.argv[2:]:
        print('\n-- ---- %s' % path)
        print(expand(open(path, encoding='utf-8').read(), path, by_line), end='')


main()
