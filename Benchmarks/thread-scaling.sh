#!/usr/bin/env bash
# How NGramKit's estimation and scoring scale with threads, and proof that the thread count does
# not change the result: for each thread count T, `ngramkit build --order 5 --threads T` writes
# an ARPA and a binary model of the benchmark text, and `ngramkit ppl --threads T` scores the
# benchmark queries with the binary model. Prints one table: median wall time, speed-up over one
# thread, peak memory, and whether the ARPA, the binary and the perplexity output are
# byte-identical to those of one thread (SHA-256).
#
# Text and queries are those of compare-kenlm.sh (the first 60,000,000 bytes of Gutenberg shard 00;
# the first 40,000 lines of shard 01), prepared by it in the same folder or here.
#
# Usage: bash Benchmarks/thread-scaling.sh [--no-build] [THREADS...]
#   THREADS              thread counts (default: 1 2 4 8 16, those above the core count left out)
#   --no-build           use the binary as it is (default: `swift build -c release`)
#   NGRAMKIT=PATH        the ngramkit binary (default .build/release/ngramkit; on a machine
#                        without Swift, a `swift build -c release --static-swift-stdlib` binary)
#   RUNS=N               runs per thread count (default 3)
#   NGRAMKIT_SHARED=DIR  the shared corpora folder (default: ../shared beside the repository)
#   NGRAMKIT_BENCH_DIR=DIR  inputs and models (default /tmp/ngramkit-bench)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
shared=${NGRAMKIT_SHARED:-$repo_root/../shared}
bench_dir=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
runs=${RUNS:-3}
bin=${NGRAMKIT:-$repo_root/.build/release/ngramkit}
build=1
threads=()

die() { echo "thread-scaling: $*" >&2; exit 1; }

while (( $# )); do
    case "$1" in
        --no-build) build=0 ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [1-9]*) [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "a thread count must be a positive integer, not '$1'"; threads+=("$1") ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$runs'"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed for peak memory: apt-get install time"
command -v sha256sum >/dev/null || die "sha256sum is needed"
cores=$(nproc)
if (( ${#threads[@]} == 0 )); then
    for t in 1 2 4 8 16; do (( t <= cores )) && threads+=("$t"); done
fi
[[ ${threads[0]} == 1 ]] || threads=(1 "${threads[@]}")   # one thread is the reference

if (( build )) && [[ -z "${NGRAMKIT:-}" ]]; then
    (cd "$repo_root" && swift build -c release >&2) || die "swift build -c release failed"
fi
[[ -x "$bin" ]] || die "$bin is not an executable (build it, or set NGRAMKIT)"

mkdir -p "$bench_dir"
train=$bench_dir/gut60.txt
queries=$bench_dir/queries40k.txt
gutenberg=$shared/corpora/gutenberg
if [[ ! -s "$train" ]]; then
    [[ -f "$gutenberg/gutenberg_top100authors.shard00.txt.gz" ]] || die "$gutenberg is missing (set NGRAMKIT_SHARED)"
    { zcat "$gutenberg/gutenberg_top100authors.shard00.txt.gz" || true; } | head -c 60000000 > "$train.tmp" && mv "$train.tmp" "$train"
fi
if [[ ! -s "$queries" ]]; then
    [[ -f "$gutenberg/gutenberg_top100authors.shard01.txt.gz" ]] || die "$gutenberg is missing (set NGRAMKIT_SHARED)"
    { zcat "$gutenberg/gutenberg_top100authors.shard01.txt.gz" || true; } | head -n 40000 > "$queries.tmp" && mv "$queries.tmp" "$queries"
fi

results=$bench_dir/thread-scaling.tsv
: > "$results"
echo "machine: $(uname -srm), $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for t in "${threads[@]}"; do
    for (( r = 1; r <= runs; r++ )); do
        echo "== $t threads, run $r/$runs" >&2
        arpa=$bench_dir/threads$t.arpa model=$bench_dir/threads$t.bin
        rm -f "$arpa" "$model"; sync   # no run pays for the last one's files (see compare-kenlm.sh)
        /usr/bin/time -f "%e %M" -o "$bench_dir/time.log" \
            "$bin" build --order 5 --threads "$t" --text "$train" --arpa "$arpa" --binary "$model" 2> "$bench_dir/threads$t.build.err" \
            || die "build with $t threads failed: $(tail -1 "$bench_dir/threads$t.build.err")"
        read -r wall peak < "$bench_dir/time.log"
        arpa_sum=$(sha256sum < "$arpa" | cut -c1-16)
        bin_sum=$(sha256sum < "$model" | cut -c1-16)
        /usr/bin/time -f "%e %M" -o "$bench_dir/time.log" \
            "$bin" ppl --model "$model" --text "$queries" --threads "$t" > "$bench_dir/threads$t.ppl" 2> "$bench_dir/threads$t.ppl.err" \
            || die "ppl with $t threads failed: $(tail -1 "$bench_dir/threads$t.ppl.err")"
        read -r score_wall _ < "$bench_dir/time.log"
        ppl_sum=$(sha256sum < "$bench_dir/threads$t.ppl" | cut -c1-16)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$wall" "$peak" "$score_wall" "$arpa_sum" "$bin_sum" "$ppl_sum" >> "$results"
        rm -f "$arpa" "$model"
    done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
reference = next(r for r in rows if r[0] == "1")
base_build = statistics.median(float(r[1]) for r in rows if r[0] == "1")
base_score = statistics.median(float(r[3]) for r in rows if r[0] == "1")
print("| threads | build (wall) | speed-up | peak memory | ppl on the binary (wall) | speed-up | ARPA, binary, ppl output identical to 1 thread |")
print("|---|---|---|---|---|---|---|")
for t in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == t]
    build = statistics.median(float(r[1]) for r in mine)
    peak = statistics.median(float(r[2]) for r in mine) / 1048576
    score = statistics.median(float(r[3]) for r in mine)
    same = all(r[4:] == reference[4:] for r in mine)
    print(f"| {t} | {build:.2f} s | {base_build / build:.2f}× | {peak:.2f} GB | {score:.2f} s | {base_score / score:.2f}× | {'yes' if same else 'NO'} |")
PY
