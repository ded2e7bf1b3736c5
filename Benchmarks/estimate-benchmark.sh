#!/usr/bin/env bash
# End-to-end estimation and scoring benchmark, NGramKit beside KenLM when its binaries are given:
#   estimate: order 5, modified Kneser-Ney, to ARPA, on the first 60,000,000 bytes of Gutenberg
#             shard 00 (whitespace tokens: 10,664,969; 30.2 million n-grams);
#   score:    load that ARPA and score the first 40,000 lines of shard 01 (1,314,688 words).
# Each job runs RUNS times; the table gives medians of wall time and of peak RSS.
#
# Usage: bash Benchmarks/estimate-benchmark.sh [--kenlm-bin DIR] [--no-build]
#   --kenlm-bin DIR      a KenLM build's bin/ with lmplz and query (skipped when absent)
#   --no-build           use .build/release/ngramkit as it is (default: `swift build -c release`)
#   RUNS=N               runs per job (default 3)
#   NGRAMKIT_SHARED=DIR  the shared corpora folder (default: ../shared beside the repository)
#   NGRAMKIT_BENCH_DIR=DIR  inputs and models (default /tmp/ngramkit-bench; models are large)
#
# Needs: swift, gzip, python3, GNU time at /usr/bin/time.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
shared=${NGRAMKIT_SHARED:-$repo_root/../shared}
bench_dir=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
runs=${RUNS:-3}
kenlm_bin=""
build=1

die() { echo "estimate-benchmark: $*" >&2; exit 1; }

while (( $# )); do
    case "$1" in
        --kenlm-bin) [[ $# -ge 2 ]] || die "--kenlm-bin needs a directory"; kenlm_bin=$2; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$runs'"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed for peak memory: apt-get install time"
command -v python3 >/dev/null || die "python3 is needed (medians)"
gutenberg=$shared/corpora/gutenberg
[[ -f "$gutenberg/gutenberg_top100authors.shard00.txt.gz" ]] || die "$gutenberg is missing (the shared corpora beside the repository, or set NGRAMKIT_SHARED)"

bin=$repo_root/.build/release/ngramkit
if (( build )); then
    echo "== swift build -c release" >&2
    (cd "$repo_root" && swift build -c release >&2) || die "the release build failed"
fi
[[ -x "$bin" ]] || die "$bin is missing: build it with 'swift build -c release'"

peers=(ngramkit)
if [[ -n "$kenlm_bin" ]]; then
    if [[ -x "$kenlm_bin/lmplz" && -x "$kenlm_bin/query" ]]; then peers+=(kenlm)
    else echo "estimate-benchmark: no lmplz/query in $kenlm_bin; KenLM skipped" >&2; fi
fi

# --- Inputs, prepared once (the same text for both tools; lmplz reads it uncompressed) ----------
mkdir -p "$bench_dir"
train=$bench_dir/gut60.txt
queries=$bench_dir/queries40k.txt
[[ -s "$train" ]] || { { zcat "$gutenberg/gutenberg_top100authors.shard00.txt.gz" || true; } | head -c 60000000 > "$train.tmp" && mv "$train.tmp" "$train"; }
[[ -s "$queries" ]] || { { zcat "$gutenberg/gutenberg_top100authors.shard01.txt.gz" || true; } | head -n 40000 > "$queries.tmp" && mv "$queries.tmp" "$queries"; }
[[ $(stat -c %s "$train") == 60000000 ]] || die "$train is not the first 60,000,000 bytes; delete it and rerun"

# --- Runs --------------------------------------------------------------------------------------
results=$bench_dir/estimate-results.tsv
: > "$results"
timed() {   # job peer command...: appends "job peer seconds kilobytes"
    local job=$1 peer=$2; shift 2
    local log=$bench_dir/time.log
    /usr/bin/time -f "%e %M" -o "$log" "$@" > "$bench_dir/$job.$peer.out" 2> "$bench_dir/$job.$peer.err" \
        || die "$peer $job failed: $(tail -n 3 "$bench_dir/$job.$peer.err")"
    echo "$job $peer $(cat "$log")" >> "$results"
}
for (( r = 1; r <= runs; r++ )); do
    for peer in "${peers[@]}"; do
        echo "== run $r/$runs: $peer" >&2
        if [[ $peer == ngramkit ]]; then
            timed estimate ngramkit "$bin" build --order 5 --text "$train" --arpa "$bench_dir/ngramkit.arpa"
            timed score ngramkit "$bin" ppl --model "$bench_dir/ngramkit.arpa" --text "$queries"
        else
            timed estimate kenlm "$kenlm_bin/lmplz" -o 5 -S 8G -T "$bench_dir" --text "$train" --arpa "$bench_dir/kenlm.arpa"
            timed score kenlm sh -c "'$kenlm_bin/query' -v summary '$bench_dir/kenlm.arpa' < '$queries'"
        fi
    done
done

python3 - "$results" "$bench_dir" "${peers[@]}" <<'PY'
import statistics, sys
path, bench, peers = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [line.split() for line in open(path)]
def median(job, peer, column):
    values = [float(r[column]) for r in rows if r[0] == job and r[1] == peer]
    return statistics.median(values) if values else None
print(f"runs per job: {len([r for r in rows if r[0] == 'estimate' and r[1] == peers[0]])} (medians)")
print("| job | " + " | ".join(peers) + " |")
print("|---|" + "---|" * len(peers))
for job, label in [("estimate", "estimate order 5 to ARPA (gut60, 10.7 M tokens)"), ("score", "load the ARPA + score 40k lines (1.35 M tokens)")]:
    cells = []
    for peer in peers:
        s, kb = median(job, peer, 2), median(job, peer, 3)
        cells.append(f"{s:.1f} s, {kb / 1048576:.2f} GB peak")
    print(f"| {label} | " + " | ".join(cells) + " |")
# The perplexities each tool printed, so that a reader sees they score the same model alike.
for peer in peers:
    for line in open(f"{bench}/score.{peer}.out"):
        if line.startswith("Perplexity including OOVs"):
            print(f"{peer}: {line.strip()}")
PY
