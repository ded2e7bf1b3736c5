#!/usr/bin/env bash
# The documented reproduction runs of `ngramkit scale` (issue 4). Results (never the corpora) go to
# Benchmarks/scaling/<name>/: points.csv, fits.json, report.md, loss.svg, model-size.svg, run.json,
# command.txt with the exact command and the machine, and invocations.txt with the wall time of
# every invocation (a resumed run adds a line).
#
#   bash Benchmarks/scaling/reproduce.sh ptb         # PTB: ptb.train slices, ptb.valid held out
#   bash Benchmarks/scaling/reproduce.sh gutenberg   # Gutenberg: shards 00-04 slices, shard05 held out
#   bash Benchmarks/scaling/reproduce.sh gutenberg-pruning   # the same slices, KN orders 3 and 5, pruned
#   bash Benchmarks/scaling/reproduce.sh ptb-methods         # every smoothing method against Kneser-Ney, PTB
#   bash Benchmarks/scaling/reproduce.sh gutenberg-methods   # the same on Gutenberg, orders 2 and 3
#
# PTB and Gutenberg measure the schedule on 3 shuffles of the pool (--repeats 3): each slice's
# spread, and the goodness of fit it makes possible. PTB's models are also pruned at five
# relative-entropy thresholds (--prune); on Gutenberg that grid is its own run (one shuffle,
# Kneser-Ney orders 3 and 5), to stay within an hour on two cores: the model-size axis, L(N, D)
# and the frontier of loss against model bytes. It takes 80% of memory: pruning the KN 5-gram of
# all 98M tokens (187M n-grams) needs about 18 GB by the harness's estimate.
#
# Options after the name are passed to `ngramkit scale` (for example --threads 16 on a larger machine).
# An interrupted run continues where it stopped when started again.
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:?usage: reproduce.sh ptb|gutenberg|gutenberg-pruning|ptb-methods|gutenberg-methods [ngramkit scale options...]}"
shift
shared="../shared/corpora"
case "$name" in
    ptb)
        # PTB's 10k vocabulary is already closed (rare words are the literal <unk>), so every
        # training word is kept (--min-count 1), as in the published PTB numbers.
        args=(--text "$shared/ptb/ptb.train.txt.gz" --heldout "$shared/ptb/ptb.valid.txt.gz"
              --min-count 1 --start 10k --factor 2 --orders 1,2,3,4,5 --smoothing kneser-ney,stupid-backoff --repeats 3
              --prune 1e-9,1e-8,1e-7,1e-6,1e-5)
        ;;
    gutenberg)
        g="$shared/gutenberg/gutenberg_top100authors"
        args=(--text "$g.shard00.txt.gz" "$g.shard01.txt.gz" "$g.shard02.txt.gz" "$g.shard03.txt.gz" "$g.shard04.txt.gz"
              --heldout "$g.shard05.txt.gz" --index "$g.index.tsv.gz" --tokenizer unicode
              --start 100k --factor 2 --orders 1,2,3,4,5 --smoothing kneser-ney,stupid-backoff --repeats 3)
        ;;
    gutenberg-pruning)
        g="$shared/gutenberg/gutenberg_top100authors"
        args=(--text "$g.shard00.txt.gz" "$g.shard01.txt.gz" "$g.shard02.txt.gz" "$g.shard03.txt.gz" "$g.shard04.txt.gz"
              --heldout "$g.shard05.txt.gz" --index "$g.index.tsv.gz" --tokenizer unicode
              --start 100k --factor 2 --orders 3,5 --smoothing kneser-ney --prune 1e-9,1e-8,1e-7,1e-6,1e-5
              --memory 80%)
        ;;
    ptb-methods)
        # Every smoothing method at orders 2, 3 and 5, each against modified Kneser-Ney (Chen and
        # Goodman 1998's comparison across training sizes).
        args=(--text "$shared/ptb/ptb.train.txt.gz" --heldout "$shared/ptb/ptb.valid.txt.gz"
              --min-count 1 --start 10k --factor 2 --orders 2,3,5 --repeats 3
              --smoothing kneser-ney,kneser-ney-original,katz,absolute-discounting,witten-bell,witten-bell-backoff,additive,stupid-backoff)
        ;;
    gutenberg-methods)
        g="$shared/gutenberg/gutenberg_top100authors"
        args=(--text "$g.shard00.txt.gz" "$g.shard01.txt.gz" "$g.shard02.txt.gz" "$g.shard03.txt.gz" "$g.shard04.txt.gz"
              --heldout "$g.shard05.txt.gz" --index "$g.index.tsv.gz" --tokenizer unicode
              --start 100k --factor 2 --orders 2,3 --memory 80%
              --smoothing kneser-ney,kneser-ney-original,katz,absolute-discounting,witten-bell,witten-bell-backoff,additive,stupid-backoff)
        ;;
    *) echo "unknown run '$name' (ptb, gutenberg, gutenberg-pruning, ptb-methods or gutenberg-methods)" >&2; exit 2 ;;
esac
out="Benchmarks/scaling/$name"
binary="${NGRAMKIT:-.build/release/ngramkit}"
if [ -z "${NGRAMKIT:-}" ]; then swift build -c release --product ngramkit >/dev/null; fi
mkdir -p "$out"
before=$( [ -f "$out/points.csv" ] && tail -n +2 "$out/points.csv" | wc -l || echo 0 )
for a in "$@"; do if [ "$a" = "--fresh" ]; then before=0; : > "$out/invocations.txt"; fi; done
start=$(date +%s.%N)
"$binary" scale "${args[@]}" --out "$out" "$@"
end=$(date +%s.%N)
after=$(tail -n +2 "$out/points.csv" | wc -l)
{
    echo "command: ngramkit scale ${args[*]} --out $out $*"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
} > "$out/command.txt"
# One line per invocation: an interrupted run shows as several lines whose times add up.
echo "$(date -u +%Y-%m-%dT%H:%MZ)  wall $(echo "$end - $start" | bc) s  points measured $((after - before)) (on record $after)" >> "$out/invocations.txt"
cat "$out/command.txt" "$out/invocations.txt"
