#!/usr/bin/env bash
# NGramKit past its memory budget beside KenLM's lmplz, one after the other in one script run:
# order 5, whitespace tokens, ARPA output, temporary files on the same disk for both tools.
#
#   budgets:  ngramkit build --memory 2G / 1G  vs  lmplz -o 5 -S 2G / 1G, and ngramkit with no
#             --memory (its default) vs lmplz -S 8G, on Gutenberg shards 00-04 (81.2 M tokens);
#             every ngramkit ARPA file compared (cmp) with the in-memory one.
#   --growth: ngramkit --memory 2G and lmplz -S 2G at about 10, 30, 81 and 100 M tokens (shards
#             00-05 cut by bytes), the table and a log-log SVG (growth.svg).
#   --scale:  ngramkit scale (Kneser-Ney, orders 1-5, slices from 100k tokens doubling up to
#             shards 00-04 by book, 10% held out) with --memory 90%, with --memory 2G, and with
#             --memory 1G (the text's ids are past a quarter of it: the pool is kept on disk); the
#             points must be the same but for the seconds and memory columns (scale.md).
#   --compile: ngramkit compile of the order-5 ARPA model of about 30 M tokens (SIZES' first
#             size with --growth's cut; ~3 GB of ARPA text) in memory and with --memory 512M,
#             beside KenLM's build_binary (probing, in memory; trie with -S 512M), alternated
#             REPEATS times (default 3), medians; both binary models compared (cmp).
#   --stupid-backoff: ngramkit build --smoothing stupid-backoff --order 5 of about 30 M tokens
#             (as --compile's text) in memory and with --memory 1G, beside Kneser-Ney with
#             --memory 1G, alternated REPEATS times, medians; the ARPA files compared (cmp).
#             KenLM has no Stupid Backoff, so NGramKit runs alone.
#
# Each job's wall time and peak RSS come from GNU time; its temporary disk from polling, every
# 0.2 s, the sizes of the files it holds open (both tools unlink their temporary files, so only
# their descriptors show them), the peak of their sum.
#
# Usage: bash Benchmarks/bounded-memory.sh [--kenlm-bin DIR] [--no-build] [--growth | --scale | --compile | --stupid-backoff] [--out DIR]
#   --kenlm-bin DIR  a KenLM build's bin/ with lmplz and build_binary; without it NGramKit runs alone
#   --no-build       use .build/release/ngramkit as it is
#   --out DIR        where the tables and the SVG go (default: Benchmarks/bounded-memory)
#   SIZES="10 30 81 100"  --growth: millions of tokens
#   NGRAMKIT_SHARED=DIR   the shared corpora (default ../shared)
#   NGRAMKIT_BENCH_DIR=DIR  inputs, models and temporary files (default /tmp/ngramkit-bounded; ~10 GB)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
shared=${NGRAMKIT_SHARED:-$repo_root/../shared}
bench=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bounded}
out=$repo_root/Benchmarks/bounded-memory
sizes=${SIZES:-10 30 81 100}
kenlm_bin=""
build=1
mode=budgets
die() { echo "bounded-memory: $*" >&2; exit 1; }
while (( $# )); do
    case "$1" in
        --kenlm-bin) [[ $# -ge 2 ]] || die "--kenlm-bin needs a directory"; kenlm_bin=$2; shift ;;
        --no-build) build=0 ;;
        --growth) mode=growth ;;
        --scale) mode=scale ;;
        --compile) mode=compile ;;
        --stupid-backoff) mode=stupid-backoff ;;
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out=$2; shift ;;
        -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
command -v python3 >/dev/null || die "python3 is needed"
gutenberg=$shared/corpora/gutenberg
[[ -f "$gutenberg/gutenberg_top100authors.shard00.txt.gz" ]] || die "$gutenberg is missing"
bin=$repo_root/.build/release/ngramkit
if (( build )); then (cd "$repo_root" && swift build -c release >&2) || die "the release build failed"; fi
[[ -x "$bin" ]] || die "$bin is missing"
lmplz=""
if [[ -n "$kenlm_bin" ]]; then
    [[ -x "$kenlm_bin/lmplz" ]] && lmplz=$kenlm_bin/lmplz || echo "bounded-memory: no lmplz in $kenlm_bin; NGramKit runs alone" >&2
fi
mkdir -p "$bench/tmp" "$out"
results=$bench/results.tsv
: > "$results"
echo "== $(cd "$repo_root" && git log -1 --format='commit %h' 2>/dev/null || echo 'no git'); load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Bytes of the files under the temporary folder that process `pid` holds open (unlinked or not).
temporary_bytes() {
    local total=0 fd target
    for fd in /proc/"$1"/fd/*; do
        target=$(readlink "$fd" 2>/dev/null) || continue
        case "$target" in
            "$bench"/tmp/*) total=$(( total + $(stat -Lc %s "$fd" 2>/dev/null || echo 0) )) ;;
        esac
    done
    echo "$total"
}

# Runs a job: wall seconds and peak RSS (GNU time), and the peak of its temporary files.
# Appends "label seconds kilobytes temporary-bytes" to the results.
run() {
    local label=$1; shift
    rm -f "$bench"/*.arpa; sync
    /usr/bin/time -f "%e %M" -o "$bench/time.log" "$@" > "$bench/$label.out" 2> "$bench/$label.err" &
    local timer=$! peak=0 now pid
    while kill -0 "$timer" 2>/dev/null; do
        for pid in $(pgrep -P "$timer" 2>/dev/null); do
            now=$(temporary_bytes "$pid")
            (( now > peak )) && peak=$now
        done
        sleep 0.2
    done
    wait "$timer" || die "$label failed: $(tail -n 3 "$bench/$label.err")"
    echo "$label $(cat "$bench/time.log") $peak" >> "$results"
    echo "   $label: $(cat "$bench/time.log") peak temporary $peak bytes" >&2
}

# The median wall, peak RSS and peak temporary bytes of each "label=title" over its rounds
# (results labelled label-ROUND), a Markdown table under the line `heading`; then the first
# job's wall over the first's and the second's.
medians() {
    python3 - "$results" "$@" <<'PY'
import statistics, sys
rows = {}
for r in open(sys.argv[1]):
    label, s, kb, tmp = r.split()
    rows.setdefault(label.rsplit("-", 1)[0], []).append((float(s), int(kb), int(tmp)))
jobs = [a.split("=", 1) for a in sys.argv[3:]]
print(f"{sys.argv[2]}; medians of {max(len(v) for v in rows.values())} alternated rounds")
print("| job | wall | peak RSS | peak temporary |")
print("|---|---|---|---|")
median = lambda label, k: statistics.median(x[k] for x in rows[label])
for label, title in jobs:
    if label in rows:
        print(f"| {title} | {median(label, 0):.1f} s | {median(label, 1) / 1048576:.2f} GiB | {median(label, 2) / 2**30:.2f} GiB |")
(a, _), (b, _) = jobs[1], jobs[0]
if a in rows and b in rows:
    print(f"\nwall of the second row / the first: {median(a, 0) / median(b, 0):.2f}")
PY
}

text_of() {   # millions of tokens -> a text file of about that many whitespace tokens
    local m=$1 file=$bench/text-$1m.txt
    if [[ ! -s "$file" ]]; then
        if [[ $m == 81 ]]; then
            for k in 00 01 02 03 04; do zcat "$gutenberg/gutenberg_top100authors.shard$k.txt.gz"; done > "$file.tmp"
        else
            { for k in 00 01 02 03 04 05; do zcat "$gutenberg/gutenberg_top100authors.shard$k.txt.gz"; done || true; } | head -c $(( m * 5630000 )) > "$file.tmp"
        fi
        mv "$file.tmp" "$file"
    fi
    echo "$file"
}

if [[ $mode == budgets ]]; then
    text=$(text_of 81)
    run ngramkit-memory "$bin" build --order 5 --text "$text" --arpa "$bench/memory.arpa" --json
    mv "$bench/memory.arpa" "$bench/reference.arpa.kept"
    : > "$results.same"
    for budget in 2G 1G; do
        run "ngramkit-$budget" "$bin" build --order 5 --text "$text" --arpa "$bench/spilled.arpa" --memory "$budget" --temp-dir "$bench/tmp" --json
        if cmp -s "$bench/spilled.arpa" "$bench/reference.arpa.kept"; then echo "ngramkit --memory $budget: the same ARPA bytes as in memory (cmp)"; else echo "ngramkit --memory $budget: the ARPA file DIFFERS from the in-memory one"; fi | tee -a "$results.same" >&2
        if [[ -n "$lmplz" ]]; then run "lmplz-$budget" "$lmplz" -o 5 -S "$budget" -T "$bench/tmp" --text "$text" --arpa "$bench/lmplz.arpa"; fi
    done
    run ngramkit-default "$bin" build --order 5 --text "$text" --arpa "$bench/default.arpa" --temp-dir "$bench/tmp" --json
    if [[ -n "$lmplz" ]]; then run lmplz-8G "$lmplz" -o 5 -S 8G -T "$bench/tmp" --text "$text" --arpa "$bench/lmplz.arpa"; fi
    rm -f "$bench/reference.arpa.kept"
    python3 - "$results" "$bench" <<'PY' | tee "$out/budgets.md"
import json, sys
rows = {r.split()[0]: r.split()[1:] for r in open(sys.argv[1])}
def tokens():
    try: return json.loads(open(f"{sys.argv[2]}/ngramkit-memory.out").read().strip().splitlines()[-1])["tokens"]
    except Exception: return None
def cell(label):
    if label not in rows: return "—"
    s, kb, tmp = rows[label]
    return f"{float(s):.1f} s, {int(kb) / 1048576:.2f} GiB peak, {int(tmp) / 2**30:.2f} GiB temporary"
def ratio(a, b):
    if a not in rows or b not in rows: return "—"
    return f"{float(rows[a][0]) / float(rows[b][0]):.2f}"
print(f"{tokens() or '?':,} tokens, order 5, ARPA" if tokens() else "order 5, ARPA")
print("| job | NGramKit | KenLM lmplz | wall NGramKit / lmplz |")
print("|---|---|---|---|")
print(f"| --memory 2G / -S 2G | {cell('ngramkit-2G')} | {cell('lmplz-2G')} | {ratio('ngramkit-2G', 'lmplz-2G')} |")
print(f"| --memory 1G / -S 1G | {cell('ngramkit-1G')} | {cell('lmplz-1G')} | {ratio('ngramkit-1G', 'lmplz-1G')} |")
print(f"| default / -S 8G | {cell('ngramkit-default')} | {cell('lmplz-8G')} | {ratio('ngramkit-default', 'lmplz-8G')} |")
print(f"| in memory (reference) | {cell('ngramkit-memory')} | | |")
PY
    cat "$results.same" >> "$out/budgets.md"
    exit 0
fi

if [[ $mode == compile ]]; then
    sizes=${SIZES:-30}
    text=$(text_of "${sizes%% *}")
    arpa=$bench/compile-input.arpa.kept
    [[ -s "$arpa" ]] || "$bin" build --order 5 --text "$text" --arpa "$arpa" >&2
    build_binary=""
    [[ -n "$kenlm_bin" && -x "$kenlm_bin/build_binary" ]] && build_binary=$kenlm_bin/build_binary
    : > "$results.same"
    for r in $(seq 1 "${REPEATS:-3}"); do
        run "ngramkit-memory-$r" "$bin" compile "$arpa" "$bench/memory.bin" --temp-dir "$bench/tmp"
        run "ngramkit-512M-$r" "$bin" compile "$arpa" "$bench/spilled.bin" --memory 512M --temp-dir "$bench/tmp"
        if cmp -s "$bench/memory.bin" "$bench/spilled.bin"; then echo "round $r: the same binary bytes in memory and at --memory 512M (cmp)"; else echo "round $r: the binary models DIFFER"; fi | tee -a "$results.same" >&2
        if [[ -n "$build_binary" ]]; then
            run "kenlm-probing-$r" "$build_binary" -T "$bench/tmp" probing "$arpa" "$bench/kenlm.bin"
            run "kenlm-trie-512M-$r" "$build_binary" -S 512M -T "$bench/tmp/" trie "$arpa" "$bench/kenlm.bin"
        fi
        rm -f "$bench"/*.bin
    done
    medians "ARPA input: $(python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1]) / 2**30:.2f} GiB')" "$arpa")" \
        "ngramkit-memory=ngramkit compile (default budget: in memory)" "ngramkit-512M=ngramkit compile --memory 512M" \
        "kenlm-probing=KenLM build_binary probing (in memory)" "kenlm-trie-512M=KenLM build_binary -S 512M trie" | tee "$out/compile.md"
    cat "$results.same" >> "$out/compile.md"
    exit 0
fi

if [[ $mode == stupid-backoff ]]; then
    sizes=${SIZES:-30}
    text=$(text_of "${sizes%% *}")
    : > "$results.same"
    sb=(build --order 5 --smoothing stupid-backoff --text "$text")
    for r in $(seq 1 "${REPEATS:-3}"); do
        run "sb-memory-$r" "$bin" "${sb[@]}" --arpa "$bench/memory.arpa.kept" --temp-dir "$bench/tmp" --json
        run "sb-1G-$r" "$bin" "${sb[@]}" --arpa "$bench/spilled.arpa.kept" --memory 1G --temp-dir "$bench/tmp" --json
        if cmp -s "$bench/memory.arpa.kept" "$bench/spilled.arpa.kept"; then echo "round $r: the same ARPA bytes in memory and at --memory 1G (cmp)"; else echo "round $r: the ARPA files DIFFER"; fi | tee -a "$results.same" >&2
        rm -f "$bench/memory.arpa.kept" "$bench/spilled.arpa.kept"
        run "kn-1G-$r" "$bin" build --order 5 --text "$text" --arpa "$bench/kn.arpa" --memory 1G --temp-dir "$bench/tmp" --json
    done
    medians "$(python3 -c "import json,sys; print(f'{json.loads(open(sys.argv[1]).read())[\"tokens\"]:,} tokens')" "$bench/sb-memory-1.out"), order 5, ARPA" \
        "sb-memory=Stupid Backoff (default budget: in memory)" "sb-1G=Stupid Backoff --memory 1G" "kn-1G=Kneser-Ney --memory 1G" \
        | tee "$out/stupid-backoff.md"
    cat "$results.same" >> "$out/stupid-backoff.md"
    exit 0
fi

if [[ $mode == scale ]]; then
    g=$gutenberg/gutenberg_top100authors
    args=(scale --text "$g.shard00.txt.gz" "$g.shard01.txt.gz" "$g.shard02.txt.gz" "$g.shard03.txt.gz" "$g.shard04.txt.gz"
          --index "$g.index.tsv.gz" --tokenizer unicode --start 100k --factor 2 --orders 1,2,3,4,5 --smoothing kneser-ney
          --bootstrap 100 --fresh)
    run scale-memory "$bin" "${args[@]}" --memory 90% --out "$bench/scale-memory"
    run scale-2G "$bin" "${args[@]}" --memory 2G --temp-dir "$bench/tmp" --out "$bench/scale-2G"
    run scale-1G "$bin" "${args[@]}" --memory 1G --temp-dir "$bench/tmp" --out "$bench/scale-1G"
    python3 - "$results" "$bench" <<'PY' | tee "$out/scale.md"
import csv, sys
results, bench = sys.argv[1], sys.argv[2]
rows = {r.split()[0]: r.split()[1:] for r in open(results)}
labels = ("scale-memory", "scale-2G", "scale-1G")
points = {label: list(csv.DictReader(open(f"{bench}/{label}/points.csv"))) for label in labels}
machine = {"count_seconds", "estimate_seconds", "score_seconds", "model_bytes", "peak_rss_bytes", "count_cpu_seconds", "estimate_cpu_seconds"}
print("| run | points | wall | peak RSS | peak temporary | pool |")
print("|---|---|---|---|---|---|")
for label in labels:
    s, kb, tmp = rows[label]
    pool = "on disk" if "kept in the temporary folder" in open(f"{bench}/{label}.out").read() else "in memory"
    print(f"| {label} | {len(points[label])} | {float(s):.1f} s | {int(kb) / 1048576:.2f} GiB | {int(tmp) / 2**30:.2f} GiB | {pool} |")
print()
a = points["scale-memory"]
fa = open(f"{bench}/scale-memory/fits.json").read()
for label in labels[1:]:
    b = points[label]
    differing = [(x["tokens"], x["order"], k) for x, y in zip(a, b) for k in x if k not in machine and x[k] != y[k]]
    past = [(int(y["tokens"]), int(y["order"])) for y in b if y["model_bytes"] == "0"]
    print(f"{label}: points past the budget (model built a partition at a time): {len(past)}: " + ", ".join(f"{t:,} tokens order {o}" for t, o in past))
    same = len(a) == len(b) and not differing
    print(f"{label}: the points are scale-memory's in every column but seconds and memory: " + ("yes" if same else f"NO, {differing[:5]}"))
    print(f"{label}: fits.json byte-identical to scale-memory's: " + ("yes" if open(f"{bench}/{label}/fits.json").read() == fa else "NO"))
PY
    exit 0
fi

# --growth
for m in $sizes; do
    text=$(text_of "$m")
    run "ngramkit-$m" "$bin" build --order 5 --text "$text" --arpa "$bench/spilled.arpa" --memory 2G --temp-dir "$bench/tmp" --json
    if [[ -n "$lmplz" ]]; then run "lmplz-$m" "$lmplz" -o 5 -S 2G -T "$bench/tmp" --text "$text" --arpa "$bench/lmplz.arpa"; fi
done
python3 - "$results" "$bench" "$out" $sizes <<'PY' | tee "$out/growth.md"
import json, math, sys
path, bench, out, sizes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rows = {r.split()[0]: [float(x) for x in r.split()[1:]] for r in open(path)}
def tokens(m):
    try: return json.loads(open(f"{bench}/ngramkit-{m}.out").read().strip().splitlines()[-1])["tokens"]
    except Exception: return None
print("| tokens | NGramKit --memory 2G | µs/token | KenLM lmplz -S 2G | µs/token |")
print("|---|---|---|---|---|")
series = {"ngramkit": [], "lmplz": []}
for m in sizes:
    t = tokens(m)
    cells = []
    for tool in ("ngramkit", "lmplz"):
        r = rows.get(f"{tool}-{m}")
        if r and t:
            series[tool].append((t, r[0]))
            cells += [f"{r[0]:.1f} s, {r[1] / 1048576:.2f} GiB, {r[2] / 2**30:.2f} GiB temp", f"{r[0] / t * 1e6:.2f}"]
        else:
            cells += ["—", "—"]
    print(f"| {t:,} | " + " | ".join(cells) + " |" if t else f"| ~{m} M | " + " | ".join(cells) + " |")
# A log-log plot of wall time against tokens.
points = [p for s in series.values() for p in s]
if points:
    xs = [math.log10(p[0]) for p in points]; ys = [math.log10(p[1]) for p in points]
    x0, x1, y0, y1 = min(xs) - 0.05, max(xs) + 0.05, min(ys) - 0.1, max(ys) + 0.1
    W, H, L, B = 560, 360, 70, 50
    X = lambda x: L + (x - x0) / (x1 - x0) * (W - L - 20)
    Y = lambda y: H - B - (y - y0) / (y1 - y0) * (H - B - 20)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - 20}" y2="{H - B}" stroke="black"/><line x1="{L}" y1="20" x2="{L}" y2="{H - B}" stroke="black"/>']
    for e in range(math.ceil(x0 * 2), math.floor(x1 * 2) + 1):
        x = e / 2; svg.append(f'<text x="{X(x):.1f}" y="{H - B + 18}" text-anchor="middle">{10 ** x / 1e6:.0f}M</text>')
    for e in range(math.ceil(y0 * 4), math.floor(y1 * 4) + 1):
        y = e / 4; svg.append(f'<text x="{L - 6}" y="{Y(y) + 4:.1f}" text-anchor="end">{10 ** y:.0f} s</text>')
    svg.append(f'<text x="{(L + W) / 2}" y="{H - 10}" text-anchor="middle">tokens (log)</text>')
    for (tool, colour, mark) in (("ngramkit", "#1f77b4", "circle"), ("lmplz", "#d62728", "square")):
        pts = sorted(series[tool])
        if not pts: continue
        svg.append('<polyline fill="none" stroke="%s" points="%s"/>' % (colour, " ".join(f"{X(math.log10(t)):.1f},{Y(math.log10(s)):.1f}" for t, s in pts)))
        for t, s in pts:
            x, y = X(math.log10(t)), Y(math.log10(s))
            svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>' if mark == "circle" else
                       f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>')
    svg.append('<text x="%d" y="36" fill="#1f77b4">● ngramkit build --memory 2G</text><text x="%d" y="54" fill="#d62728">■ lmplz -o 5 -S 2G</text>' % (L + 10, L + 10))
    svg.append('</svg>')
    open(f"{out}/growth.svg", "w").write("\n".join(svg) + "\n")
PY
