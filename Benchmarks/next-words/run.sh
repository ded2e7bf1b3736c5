#!/usr/bin/env bash
# `ngramkit next` on the benchmark model: top-10 next words for contexts drawn from held-out
# text, from the successor index, beside the loop over the vocabulary that KenLM users write
# (`next --exhaustive`, on the first EXHAUSTIVE contexts: the loop takes far longer), alternating
# A B A B. Prints per-context times (medians of RUNS), the ratio, and checks that the two give the
# same lines on the contexts both answered.
#
# Usage: NGRAMKIT=.build/release/ngramkit bash Benchmarks/next-words/run.sh
# Variables: RUNS (3), CONTEXTS (10000), EXHAUSTIVE (300), NGRAMKIT_SHARED (../shared),
#            NGRAMKIT_BENCH_DIR (/tmp/ngramkit-bench).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
ngramkit=${NGRAMKIT:-$here/.build/release/ngramkit}
shared=${NGRAMKIT_SHARED:-$here/../shared}
bench=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
runs=${RUNS:-3}; contexts=${CONTEXTS:-10000}; exhaustive=${EXHAUSTIVE:-300}
mkdir -p "$bench"
gutenberg=$shared/corpora/gutenberg
train=$bench/gut60.txt
[[ -s "$train" ]] || { { zcat "$gutenberg/gutenberg_top100authors.shard00.txt.gz" || true; } | head -c 60000000 > "$train.tmp" && mv "$train.tmp" "$train"; }
model=$bench/gut60.o5.successors.bin
if [[ ! -s "$model" ]]; then
  "$ngramkit" build --order 5 --text "$train" --binary "$model" --successors 2>&1 | grep -E "^(time|peak)" || true
fi
ls -l "$model" | awk '{printf "model: %s, %d bytes\n", $NF, $5}'
# Contexts: up to four words before a random position of a held-out line (shard 01), seeded.
ctx=$bench/next-contexts.$contexts.txt
if [[ ! -s "$ctx" ]]; then
  { zcat "$gutenberg/gutenberg_top100authors.shard01.txt.gz" || true; } | head -n 40000 | python3 -c '
import random, sys
random.seed(2026)
lines = [l.split() for l in sys.stdin if len(l.split()) > 1]
n = int(sys.argv[1])
for _ in range(n):
    words = random.choice(lines)
    end = random.randrange(1, len(words))
    print(" ".join(words[max(0, end - 4):end]))
' "$contexts" > "$ctx"
fi
head -n "$exhaustive" "$ctx" > "$ctx.head"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
times_index=(); times_loop=()
for ((r = 1; r <= runs; r++)); do
  "$ngramkit" next --model "$model" --contexts "$ctx" --top 10 > "$bench/next.index.txt" 2> "$bench/next.index.err"
  times_index+=("$(sed -n 's/.*(\([0-9.]*\) ms each).*/\1/p' "$bench/next.index.err")")
  "$ngramkit" next --model "$model" --contexts "$ctx.head" --top 10 --exhaustive > "$bench/next.loop.txt" 2> "$bench/next.loop.err"
  times_loop+=("$(sed -n 's/.*(\([0-9.]*\) ms each).*/\1/p' "$bench/next.loop.err")")
done
# The loop answered the first EXHAUSTIVE contexts: their lines must be the index's.
lines=$(awk -F'\t' -v n="$exhaustive" '$1 <= n' "$bench/next.index.txt" | wc -l)
if awk -F'\t' -v n="$exhaustive" '$1 <= n' "$bench/next.index.txt" | cmp -s - "$bench/next.loop.txt"; then same=yes; else same=NO; fi
python3 - "${times_index[*]}" "${times_loop[*]}" "$contexts" "$exhaustive" "$same" "$lines" <<'PY'
import statistics, sys
index = [float(x) for x in sys.argv[1].split()]
loop = [float(x) for x in sys.argv[2].split()]
mi, ml = statistics.median(index), statistics.median(loop)
print(f"| way | contexts | ms per context (median of {len(index)}) | runs |")
print("|---|---|---|---|")
print(f"| successor index (`next --top 10`) | {sys.argv[3]} | {mi:.4f} | {', '.join(f'{x:.4f}' for x in index)} |")
print(f"| loop over the vocabulary (`next --top 10 --exhaustive`) | {sys.argv[4]} | {ml:.3f} | {', '.join(f'{x:.3f}' for x in loop)} |")
print(f"ratio loop / index: {ml / mi:.0f}; the same {sys.argv[6]} lines on the first {sys.argv[4]} contexts: {sys.argv[5]}")
PY
