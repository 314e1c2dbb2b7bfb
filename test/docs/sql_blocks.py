#!/usr/bin/env python3
"""The ```sql blocks of a Markdown page, and the output each one shows.

    sql_blocks.py script PAGE     the page's SQL (blocks with a semicolon outside comments;
                                  the others are signatures; a block right under a line
                                  "<!-- docs-test: skip (why) -->" is not run), each block
                                  preceded by a psql \\echo marker
    sql_blocks.py check PAGE OUT  compares psql's output OUT of that script with the output
                                  blocks of the page: a plain ``` block right after an sql block
                                  shows what that block prints. Every line it shows must come
                                  out, in order (trailing blanks, empty lines and "(n rows)" aside;
                                  a line "..." stands for rows left out). Exit 1 on a difference.
"""
import re
import sys

MARK = "@@dmine-docs-block "


def blocks(page):
    """[(sql, expected output lines or None)] in page order."""
    lines = open(page, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        if re.fullmatch(r"```sql\s*", lines[i]):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            sql = "\n".join(lines[i + 1:j]) + "\n"
            expected = None
            k = j + 1
            if k < len(lines) and lines[k].rstrip() == "```":
                m = k + 1
                while m < len(lines) and not lines[m].startswith("```"):
                    m += 1
                expected = lines[k + 1:m]
                j = m
            # A block with no semicolon outside comments is a signature, not a statement; a block
            # right under a line "<!-- docs-test: skip (why) -->" is not run.
            skip = i > 0 and lines[i - 1].startswith("<!-- docs-test: skip")
            if not skip and any(";" in l.split("--", 1)[0] for l in lines[i + 1:j]):
                out.append((sql, expected))
            i = j + 1
        else:
            i += 1
    return out


def significant(lines):
    return [l.rstrip() for l in lines if l.strip() and not re.fullmatch(r"\(\d+ rows?\)", l.strip())]


def main():
    mode, page = sys.argv[1], sys.argv[2]
    bl = blocks(page)
    if mode == "script":
        for n, (sql, _) in enumerate(bl, 1):
            sys.stdout.write(f"\\echo '{MARK}{n}'\n{sql}")
        return 0
    text = open(sys.argv[3], encoding="utf-8", errors="replace").read()
    parts = re.split(r"^" + re.escape(MARK) + r"(\d+)\n", text, flags=re.M)
    got = {int(parts[i]): parts[i + 1].split("\n") for i in range(1, len(parts) - 1, 2)}
    bad = 0
    for n, (_, expected) in enumerate(bl, 1):
        if expected is None:
            continue
        want, have = significant(expected), significant(got.get(n, []))
        pos = 0
        for line in want:
            if line.strip() == "...":
                continue
            while pos < len(have) and have[pos] != line:
                pos += 1
            if pos == len(have):
                print(f"{page}: block {n} does not print the line shown:\n  {line}\n  it prints:")
                print("\n".join("    " + l for l in have[:40]))
                bad += 1
                break
            pos += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
