#!/usr/bin/env python3
"""Print the routines, views and comments of an install script as statements an upgrade can run
again: CREATE FUNCTION/PROCEDURE/VIEW become CREATE OR REPLACE; COMMENT ON, GRANT/REVOKE and the DO
blocks that comment on or revoke from routines in a loop are kept as they are. The upgrade script
ends with them, so every routine body is the release's own whatever the pieces of
extension/upgrade/ wrote before (they create types, tables, aggregates and what cannot be
replaced).

Usage: upgrade_refresh.py INSTALL_SCRIPT > refresh.sql"""
import re
import sys

# DO blocks labelled $comments$ or $revoke$ only comment on or revoke from routines in a loop.
KEEP = re.compile(r'^(CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|VIEW)\b|COMMENT\s+ON\s+(FUNCTION|PROCEDURE|VIEW)\b|'
                  r'(GRANT|REVOKE)\b[^;]*\bON\s+(FUNCTION|PROCEDURE)\b|DO\s+\$(comments|revoke)\$)', re.I)
CREATE = re.compile(r'^CREATE\s+(?!OR\s+REPLACE)(FUNCTION|PROCEDURE|VIEW)\b', re.I)


def statements(sql):
    """Top-level statements of sql, split at semicolons outside quotes, comments and DO blocks."""
    out, start, i, n = [], 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if sql.startswith('--', i):
            i = sql.find('\n', i)
            i = n if i < 0 else i
        elif sql.startswith('/*', i):
            i = sql.find('*/', i) + 2
        elif c in "'\"":
            j = i + 1
            while j < n and not (sql[j] == c and not sql.startswith(c * 2, j)):
                j += 2 if sql.startswith(c * 2, j) else 1
            i = j + 1
        elif c == '$':
            m = re.match(r'\$[A-Za-z_]*\$', sql[i:])
            if m:
                i = sql.find(m.group(0), i + len(m.group(0))) + len(m.group(0))
            else:
                i += 1
        elif c == ';':
            out.append(sql[start:i + 1])
            start = i + 1
            i += 1
        else:
            i += 1
    return out


def strip_comments(stmt):
    """The statement without its leading comment lines and blank space."""
    lines = stmt.strip().split('\n')
    while lines and (lines[0].strip().startswith('--') or not lines[0].strip()):
        lines.pop(0)
    return '\n'.join(lines)


def main():
    sql = open(sys.argv[1], encoding='utf-8').read()
    print('-- ---- every routine, view and comment of the release, as its install script has them')
    for stmt in statements(sql):
        s = strip_comments(stmt)
        if KEEP.match(s):
            print(CREATE.sub(lambda m: 'CREATE OR REPLACE ' + m.group(1), s, count=1))


main()
