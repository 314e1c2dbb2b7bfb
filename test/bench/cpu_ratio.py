"""CPU time of one query against another in the same backend (serial plans), from /proc.

On a loaded machine wall-clock ratios move by tens of percent from run to run; the backend's own
CPU time (utime + stime of its process, read before and after each query) does not count the
time it waits for a core. Run on the server's machine, as a user who may read /proc/PID/stat:

    python3 cpu_ratio.py "SET max_parallel_workers_per_gather = 0" \\
        "dm_stats|SELECT dmine.dm_stats(x) FROM t|built-ins|SELECT count(x), avg(x), stddev(x), min(x), max(x) FROM t"

Each pair runs once to warm up, then 5 times alternately; prints the medians and their ratio.
Resolution: one clock tick (10 ms), so use tables of a few million rows.
"""
import os
import statistics
import sys

from benchlib import connect


def main():
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def cpu():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    def run(sql):
        start = cpu()
        cur.execute(sql)
        cur.fetchall()
        return cpu() - start

    cur.execute(sys.argv[1])
    for pair in sys.argv[2:]:
        name_a, query_a, name_b, query_b = pair.split("|")
        run(query_a)
        run(query_b)
        times_a, times_b = [], []
        for _ in range(5):
            times_a.append(run(query_a))
            times_b.append(run(query_b))
        a, b = statistics.median(times_a), statistics.median(times_b)
        print(f"{name_a}: {a:.2f} s CPU, {name_b}: {b:.2f} s CPU, ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
