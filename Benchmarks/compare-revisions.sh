#!/usr/bin/env bash
# Two revisions of NGramKit through compare-kenlm.sh's pipeline, alternated in one sitting
# (before, after, before, after, ...: ROUNDS rounds of one run each), with KenLM beside each run when
# --kenlm-bin is given, so that the machine's drift hits both alike. Prints the medians per job and
# revision, their ratio, KenLM's own medians in the same runs (the noise floor), whether the two
# ARPA files have the same n-gram lines and how many bytes of the binary models differ.
#
# Usage: bash Benchmarks/compare-revisions.sh BEFORE [AFTER] [--kenlm-bin DIR]
#   BEFORE, AFTER   git revisions; AFTER defaults to the working tree as it is (built here)
#   --kenlm-bin DIR a KenLM build's bin/ (lmplz, build_binary, query); without it, NGramKit only
#   ROUNDS=N        rounds (default 3)
#   NGRAMKIT_BENCH_DIR=DIR  work folder (default /tmp/ngramkit-bench-revisions; a worktree and
#                           release build per revision, and several GB of models)
#   NGRAMKIT_SHARED=DIR     the shared corpora folder (default: ../shared beside the repository)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
bench=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench-revisions}
rounds=${ROUNDS:-3}
kenlm_args=()
revisions=()
die() { echo "compare-revisions: $*" >&2; exit 1; }
while (( $# )); do
    case "$1" in
        --kenlm-bin) [[ $# -ge 2 ]] || die "--kenlm-bin needs a directory"; kenlm_args=(--kenlm-bin "$2"); shift ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) revisions+=("$1") ;;
    esac
    shift
done
(( ${#revisions[@]} >= 1 && ${#revisions[@]} <= 2 )) || die "give one or two revisions (see --help)"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$rounds'"
export NGRAMKIT_SHARED=${NGRAMKIT_SHARED:-$repo_root/../shared}
mkdir -p "$bench"

# A release build of each side: a worktree of the revision, or this tree for the working copy.
tree_of() {
    local revision=$1 tree
    if [[ $revision == WORKTREE ]]; then
        tree=$repo_root
    else
        local commit
        commit=$(git -C "$repo_root" rev-parse --verify "$revision^{commit}") || die "no revision '$revision'"
        tree=$bench/tree-${commit:0:12}
        [[ -d "$tree" ]] || git -C "$repo_root" worktree add --detach -f "$tree" "$commit" >&2
    fi
    echo "== swift build -c release in $tree" >&2
    (cd "$tree" && swift build -c release >&2) || die "the release build of $revision failed"
    echo "$tree"
}
before_tree=$(tree_of "${revisions[0]}")
after_tree=$(tree_of "${revisions[1]:-WORKTREE}")
label_after=${revisions[1]:-working tree}

: > "$bench/before.tsv"; : > "$bench/after.tsv"
for (( r = 1; r <= rounds; r++ )); do
    for side in before after; do
        tree=$before_tree; [[ $side == after ]] && tree=$after_tree
        echo "== round $r/$rounds: $side" >&2
        NGRAMKIT_BENCH_DIR=$bench/$side RUNS=1 bash "$tree/Benchmarks/compare-kenlm.sh" --no-build "${kenlm_args[@]}" > "$bench/$side.$r.table"
        sed "s/^/$r /" "$bench/$side/compare-results.tsv" >> "$bench/$side.tsv"
    done
done

python3 - "$bench" "${revisions[0]}" "$label_after" <<'PY'
import statistics, sys
bench, before_name, after_name = sys.argv[1:4]
def load(side):
    data = {}
    for line in open(f"{bench}/{side}.tsv"):
        _, job, peer, seconds, kb = line.split()
        data.setdefault((job, peer), []).append((float(seconds), int(kb)))
    return data
before, after = load("before"), load("after")
print(f"medians of {len(next(iter(before.values())))} alternated runs; seconds (peak GB)")
print(f"| job | NGramKit {before_name} | NGramKit {after_name} | after / before | KenLM beside {before_name} | KenLM beside {after_name} |")
print("|---|---|---|---|---|---|")
def cell(data, key):
    if key not in data: return "—", None
    s = statistics.median(x[0] for x in data[key]); peak = max(x[1] for x in data[key]) / 1048576
    return f"{s:.2f} s ({peak:.2f} GB)", s
for job in ["estimate", "compile", "score-binary", "score-arpa"]:
    b, bs = cell(before, (job, "ngramkit")); a, as_ = cell(after, (job, "ngramkit"))
    kb, _ = cell(before, (job, "kenlm")); ka, _ = cell(after, (job, "kenlm"))
    ratio = f"{as_ / bs:.2f}" if bs and as_ else "—"
    print(f"| {job} | {b} | {a} | {ratio} | {kb} | {ka} |")
PY
lines() { grep -v '^#' "$1" | md5sum | cut -d' ' -f1; }
if [[ $(lines "$bench/before/ngramkit.arpa") == $(lines "$bench/after/ngramkit.arpa") ]]; then
    echo "ARPA: the same n-gram lines (comment lines may differ: $(diff <(grep '^#' "$bench/before/ngramkit.arpa") <(grep '^#' "$bench/after/ngramkit.arpa") | grep -c '^[<>]') differ)"
else
    echo "ARPA: the n-gram lines DIFFER"
fi
echo "binary: $(cmp -l "$bench/before/ngramkit.bin" "$bench/after/ngramkit.bin" 2>/dev/null | wc -l) bytes differ of $(stat -c %s "$bench/after/ngramkit.bin")"
grep -h "Perplexity including" "$bench/before/score-binary.ngramkit.out" "$bench/after/score-binary.ngramkit.out" | sed 's/^/perplexity: /'
