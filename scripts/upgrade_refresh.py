#!/usr/bin/env python3
"""Print the routines, views and comments of an install script as statements an upgrade can run
again: CREATE FUNCTION/PROCEDURE/VIEW become CREATE OR REPLACE; COMMENT ON, GRANT/REVOKE and the DO
blocks that comment on or revoke from routines in a loop are kept as they are. The upgrade script
ends with them, so every routine body is the release's own whatever the pieces of
extension/upgrade/ wrote before (they create types, tables, aggregates and what cannot be
replaced).

Usage: upgrade_refresh.py INSTALL_SCRIPT > refresh.sql"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sql_statements import statements, strip_comments  # noqa: E402

# DO blocks labelled $comments$ or $revoke$ only comment on or revoke from routines in a loop.
KEEP = re.compile(r'^(CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|VIEW)\b|COMMENT\s+ON\s+(FUNCTION|PROCEDURE|VIEW)\b|'
                  r'(GRANT|REVOKE)\b[^;]*\bON\s+(FUNCTION|PROCEDURE)\b|DO\s+\$(comments|revoke)\$)', re.I)
CREATE = re.compile(r'^CREATE\s+(?!OR\s+REPLACE)(FUNCTION|PROCEDURE|VIEW)\b', re.I)


def main():
    sql = open(sys.argv[1], encoding='utf-8').read()
    print('-- ---- every routine, view and comment of the release, as its install script has them')
    for stmt in statements(sql):
        s = strip_comments(stmt)
        if KEEP.match(s):
            print(CREATE.sub(lambda m: 'CREATE OR REPLACE ' + m.group(1), s, count=1))


main()
