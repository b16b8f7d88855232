#!/usr/bin/env bash
# Before and after, in one run of the machine: bench.load, bench.models and bench.pages at one tier, for two
# checkouts (each with its own .venv, e.g. `git worktree add ../before <commit>` and `make install` there),
# interleaved so that both see the same machine. Logs go to OUT (default /tmp/oyna-bench-compare).
#
#     bench/compare.sh ../before . [M]
set -u
before=$(cd "${1:?before checkout}" && pwd); after=$(cd "${2:?after checkout}" && pwd); size=${3:-M}
out=${OUT:-/tmp/oyna-bench-compare}; mkdir -p "$out"
for bench in load models pages; do
    for tree in "$before" "$after"; do
        name=$bench-$(basename "$tree")
        echo "== $name $(date -u +%T), load average $(cut -d' ' -f1 /proc/loadavg)"
        (cd "$tree" && .venv/bin/python -m "bench.$bench" --size "$size") > "$out/$name.log" 2>&1
        echo "   exit $?; $out/$name.log"
    done
done
