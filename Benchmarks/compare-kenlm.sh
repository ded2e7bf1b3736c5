#!/usr/bin/env bash
# NGramKit beside KenLM, the whole pipeline, in one table (medians of RUNS runs):
#   estimate to ARPA     ngramkit build --order 5 --arpa      vs  lmplz -o 5 -S 8G       (wall, peak RSS)
#   ARPA to binary       ngramkit compile                     vs  build_binary probing   (wall)
#   binary size          MB and bytes per n-gram
#   load + score, 1 thr  ngramkit ppl --threads 1 on the binary vs query on the probing binary (wall, tokens/s)
#   load ARPA + score    ngramkit ppl on the ARPA (all cores)  vs query on the ARPA      (wall)
# Text: the first 60,000,000 bytes of Gutenberg shard 00 (whitespace tokens: 10,664,969; 30.2 million
# n-grams); queries: the first 40,000 lines of shard 01 (1,354,688 tokens with </s>). Each tool
# compiles and scores its own ARPA file (the same model: both print the same perplexity).
#
# --sizes: build time and peak memory of `ngramkit build --order 5` (to an ARPA file, deleted after)
# for about 10, 30 and 100 million tokens of Gutenberg shards 00-05 (decompressed, concatenated, cut
# by bytes at 5.63 bytes per token; the table gives the real token count from --json); lmplz beside
# it with --kenlm-bin.
#
# Usage: bash Benchmarks/compare-kenlm.sh [--kenlm-bin DIR] [--no-build] [--sizes]
#   --kenlm-bin DIR      a KenLM build's bin/ (lmplz, build_binary, query); a missing one is skipped
#   --no-build           use .build/release/ngramkit as it is (default: `swift build -c release`)
#   --sizes              the build-size table instead of the comparison
#   RUNS=N               runs per job (default 3)
#   SIZES="10 30 100"    --sizes: millions of tokens (default 10 30 100)
#   NGRAMKIT_SHARED=DIR  the shared corpora folder (default: ../shared beside the repository)
#   NGRAMKIT_BENCH_DIR=DIR  inputs and models (default /tmp/ngramkit-bench; several GB)
#
# Needs: swift, gzip, python3, GNU time at /usr/bin/time. Timings on a shared machine move: read
# the load average printed first, and compare only numbers from the same script run.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
shared=${NGRAMKIT_SHARED:-$repo_root/../shared}
bench_dir=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
runs=${RUNS:-3}
sizes=${SIZES:-10 30 100}
kenlm_bin=""
build=1
mode=compare

die() { echo "compare-kenlm: $*" >&2; exit 1; }

while (( $# )); do
    case "$1" in
        --kenlm-bin) [[ $# -ge 2 ]] || die "--kenlm-bin needs a directory"; kenlm_bin=$2; shift ;;
        --no-build) build=0 ;;
        --sizes) mode=sizes ;;
        -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$runs'"
for s in $sizes; do [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "SIZES must be positive integers (millions of tokens), not '$s'"; done
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

# KenLM's tools, each used only when present.
has_kenlm() { [[ -n "$kenlm_bin" && -x "$kenlm_bin/$1" ]]; }
if [[ -n "$kenlm_bin" ]]; then
    for tool in lmplz build_binary query; do
        has_kenlm "$tool" || echo "compare-kenlm: no $tool in $kenlm_bin; its rows skip KenLM" >&2
    done
fi

mkdir -p "$bench_dir"
echo "== $(cd "$repo_root" && git log -1 --format='commit %h' 2>/dev/null || echo 'no git'); load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

results=$bench_dir/compare-results.tsv
: > "$results"
# Before a job that writes a model: delete the previous run's file and flush what is still being
# written back, for both tools alike. Otherwise a run also pays for unlinking the last run's
# gigabyte (with the `discard` mount option, a synchronous TRIM) and competes with its writeback.
settle() { rm -f "$@"; sync; }
timed() {   # job peer command...: appends "job peer seconds kilobytes"; stdout to $bench_dir/job.peer.out
    local job=$1 peer=$2; shift 2
    local log=$bench_dir/time.log
    /usr/bin/time -f "%e %M" -o "$log" "$@" > "$bench_dir/$job.$peer.out" 2> "$bench_dir/$job.$peer.err" \
        || die "$peer $job failed: $(tail -n 3 "$bench_dir/$job.$peer.err")"
    echo "$job $peer $(cat "$log")" >> "$results"
}

# --- Sizes mode --------------------------------------------------------------------------------
if [[ $mode == sizes ]]; then
    all_shards() {
        for k in 00 01 02 03 04 05; do zcat "$gutenberg/gutenberg_top100authors.shard$k.txt.gz"; done
    }
    for s in $sizes; do
        text=$bench_dir/sizes-${s}m.txt
        bytes=$(( s * 5630000 ))
        if [[ ! -s "$text" ]]; then
            echo "== preparing $text (~$s M tokens, $bytes bytes)" >&2
            { all_shards || true; } | head -c "$bytes" > "$text.tmp" && mv "$text.tmp" "$text"
        fi
        for (( r = 1; r <= runs; r++ )); do
            echo "== $s M tokens, run $r/$runs: ngramkit" >&2
            settle "$bench_dir/sizes.ngramkit.arpa"
            timed "size$s" ngramkit "$bin" build --order 5 --text "$text" --arpa "$bench_dir/sizes.ngramkit.arpa" --json
            rm -f "$bench_dir/sizes.ngramkit.arpa"
            python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["tokens"])' \
                < "$bench_dir/size$s.ngramkit.out" > "$bench_dir/size$s.tokens" 2>/dev/null \
                || grep -o '"tokens" *: *[0-9]*' "$bench_dir/size$s.ngramkit.out" | grep -o '[0-9]*$' > "$bench_dir/size$s.tokens"
            if has_kenlm lmplz; then
                echo "== $s M tokens, run $r/$runs: lmplz" >&2
                settle "$bench_dir/sizes.kenlm.arpa"
                timed "size$s" kenlm "$kenlm_bin/lmplz" -o 5 -S 8G -T "$bench_dir" --text "$text" --arpa "$bench_dir/sizes.kenlm.arpa"
                rm -f "$bench_dir/sizes.kenlm.arpa"
            fi
        done
    done
    python3 - "$results" "$bench_dir" $sizes <<'PY'
import statistics, sys
path, bench, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [line.split() for line in open(path)]
def cell(job, peer):
    v = [(float(r[2]), float(r[3])) for r in rows if r[0] == job and r[1] == peer]
    if not v: return "—"
    return f"{statistics.median(x[0] for x in v):.1f} s, {statistics.median(x[1] for x in v) / 1048576:.2f} GB peak"
print(f"runs per job: {len([r for r in rows if r[0] == 'size' + sizes[0] and r[1] == 'ngramkit'])} (medians)")
print("| tokens (whitespace) | NGramKit `build --order 5 --arpa` | KenLM `lmplz -o 5 -S 8G --arpa` |")
print("|---|---|---|")
for s in sizes:
    try: tokens = int(open(f"{bench}/size{s}.tokens").read().split()[0])
    except Exception: tokens = None
    label = f"{tokens:,}" if tokens else f"~{s} M"
    print(f"| {label} | {cell('size' + s, 'ngramkit')} | {cell('size' + s, 'kenlm')} |")
PY
    exit 0
fi

# --- Comparison mode: inputs, prepared once (lmplz reads the text uncompressed) ----------------
train=$bench_dir/gut60.txt
queries=$bench_dir/queries40k.txt
[[ -s "$train" ]] || { { zcat "$gutenberg/gutenberg_top100authors.shard00.txt.gz" || true; } | head -c 60000000 > "$train.tmp" && mv "$train.tmp" "$train"; }
[[ -s "$queries" ]] || { { zcat "$gutenberg/gutenberg_top100authors.shard01.txt.gz" || true; } | head -n 40000 > "$queries.tmp" && mv "$queries.tmp" "$queries"; }
[[ $(stat -c %s "$train") == 60000000 ]] || die "$train is not the first 60,000,000 bytes; delete it and rerun"

nk_arpa=$bench_dir/ngramkit.arpa nk_bin=$bench_dir/ngramkit.bin
kl_arpa=$bench_dir/kenlm.arpa kl_bin=$bench_dir/kenlm.probing
# KenLM's later rows need an ARPA: lmplz's, or without lmplz NGramKit's (the same model).
has_kenlm lmplz || kl_arpa=$nk_arpa
has_kenlm build_binary || rm -f "$kl_bin"
for (( r = 1; r <= runs; r++ )); do
    echo "== run $r/$runs: ngramkit" >&2
    settle "$nk_arpa"
    timed estimate ngramkit "$bin" build --order 5 --text "$train" --arpa "$nk_arpa"
    settle "$nk_bin"
    timed compile ngramkit "$bin" compile "$nk_arpa" "$nk_bin"
    timed score-binary ngramkit "$bin" ppl --model "$nk_bin" --text "$queries" --threads 1
    timed score-arpa ngramkit "$bin" ppl --model "$nk_arpa" --text "$queries"
    if has_kenlm lmplz; then
        echo "== run $r/$runs: kenlm" >&2
        settle "$kl_arpa"
        timed estimate kenlm "$kenlm_bin/lmplz" -o 5 -S 8G -T "$bench_dir" --text "$train" --arpa "$kl_arpa"
    fi
    if has_kenlm build_binary; then
        settle "$kl_bin"
        timed compile kenlm "$kenlm_bin/build_binary" probing "$kl_arpa" "$kl_bin"
    fi
    if has_kenlm query; then
        [[ -s "$kl_bin" ]] && timed score-binary kenlm sh -c "'$kenlm_bin/query' -v summary '$kl_bin' < '$queries'"
        timed score-arpa kenlm sh -c "'$kenlm_bin/query' -v summary '$kl_arpa' < '$queries'"
    fi
done
sizes_file=$bench_dir/compare-sizes.tsv
: > "$sizes_file"
ngrams=$(python3 -c "import re,sys; print(sum(int(m) for m in re.findall(r'^ngram \d+=(\d+)$', open(sys.argv[1]).read(1 << 16), re.M)))" "$nk_arpa")
echo "ngramkit $(stat -c %s "$nk_bin")" >> "$sizes_file"
[[ -s "$kl_bin" ]] && echo "kenlm $(stat -c %s "$kl_bin")" >> "$sizes_file"

python3 - "$results" "$sizes_file" "$bench_dir" "$ngrams" <<'PY'
import statistics, sys
path, sizes_path, bench, ngrams = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = [line.split() for line in open(path)]
sizes = dict(line.split() for line in open(sizes_path))
def med(job, peer, column):
    v = [float(r[column]) for r in rows if r[0] == job and r[1] == peer]
    return statistics.median(v) if v else None
def tokens(peer):
    try:
        for line in open(f"{bench}/score-binary.{peer}.out"):
            if line.startswith("Tokens:"): return int(line.split()[1])
    except OSError: pass
    return None
def wall(job, peer, peak=False, rate=False):
    s = med(job, peer, 2)
    if s is None: return "—"
    text = f"{s:.2f} s" if s < 10 else f"{s:.1f} s"
    if peak: text += f", {med(job, peer, 3) / 1048576:.2f} GB peak"
    if rate and tokens(peer): text += f", {tokens(peer) / s / 1e6:.2f} M tokens/s"
    return text
def size(peer):
    if peer not in sizes: return "—"
    b = int(sizes[peer])
    return f"{b / 1e6:.0f} MB, {b / ngrams:.1f} bytes/n-gram"
print(f"runs per job: {len([r for r in rows if r[0] == 'estimate' and r[1] == 'ngramkit'])} (medians); {ngrams:,} n-grams")
print("| job | NGramKit | KenLM |")
print("|---|---|---|")
print(f"| estimate order 5 to ARPA (gut60, 10.7 M tokens) [`build --arpa` / `lmplz -o 5 -S 8G`] | {wall('estimate', 'ngramkit', peak=True)} | {wall('estimate', 'kenlm', peak=True)} |")
print(f"| ARPA to binary [`compile` / `build_binary probing`] | {wall('compile', 'ngramkit')} | {wall('compile', 'kenlm')} |")
print(f"| binary size | {size('ngramkit')} | {size('kenlm')} |")
print(f"| load the binary + score 40k lines (1.35 M tokens), one thread [`ppl --threads 1` / `query`] | {wall('score-binary', 'ngramkit', rate=True)} | {wall('score-binary', 'kenlm', rate=True)} |")
print(f"| load the ARPA + score 40k lines [`ppl` (all cores) / `query`] | {wall('score-arpa', 'ngramkit')} | {wall('score-arpa', 'kenlm')} |")
for peer in ("ngramkit", "kenlm"):
    try:
        for line in open(f"{bench}/score-binary.{peer}.out"):
            if line.startswith("Perplexity including OOVs"): print(f"{peer} (binary): {line.strip()}")
    except OSError: pass
PY
