"""Top-level statements of an SQL script, as the upgrade tools read the install script and the
upgrade pieces."""
import re


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


def first_line(stmt):
    """The statement's first line without its comments, whitespace collapsed: how a piece names
    a statement of the install script (`-- @install FIRST LINE`)."""
    line = strip_comments(stmt).split('\n')[0]
    return ' '.join(line.split())
