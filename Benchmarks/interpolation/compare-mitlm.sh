#!/usr/bin/env bash
# `ngramkit interpolate` beside MITLM's `interpolate-ngram -interpolation LI`: two trigram models
# of the two halves of PTB train, mixed linearly, tuned on ptb.valid, scored on ptb.test.
#
# Both write the same kind of merged model: the union of the components' n-grams, each with the
# mixed probability λ_A p_A + (1-λ_A) p_B, backoffs renormalized (MITLM -write-lm). They tune λ
# differently: NGramKit by EM on the exact mixture's dev perplexity, MITLM by LBFGS on the merged
# static model's dev perplexity (θ with λ_A = 1/(1+e^θ)), so the weights differ slightly. To compare
# the constructions themselves, NGramKit also merges at MITLM's λ (`--weights`).
#
# Inputs (rebuilt on every run in WORK_DIR): half A = the first 21034 lines of ptb.train, half B =
# the other 21034; a closed vocabulary of all ptb.train words (`ngramkit vocab`); trigram models
# `ngramkit build --order 3 --vocab` of each half (same vocabulary: no OOVs in valid/test).
# MITLM reads them through an awk step that only reorders the unigram section (see to_mitlm).
#
# Usage: MITLM=/path/to/mitlm bash Benchmarks/interpolation/compare-mitlm.sh
#   MITLM=DIR            folder with MITLM's interpolate-ngram (a build tree's libtool wrapper works);
#                        unset or missing: MITLM's columns are skipped, with a message
#   NGRAMKIT=PATH        the ngramkit binary (default .build/release/ngramkit; this script builds nothing)
#   NGRAMKIT_SHARED=DIR  the shared corpora folder (default ../shared beside the repository)
#   WORK_DIR=DIR         inputs, models, logs (default /tmp/ngramkit-bench/interpolation, about 150 MB)
#
# Prints a markdown table on stdout (also written to WORK_DIR/table.md), progress on stderr.
#
# How MITLM's λ is read: `-write-params FILE` writes the tuned vector in MITLM's binary layout
# (src/util/FastIO.h): the header "Param" NUL-padded to 8 bytes, a little-endian uint64 count, then
# count doubles. For ARPA components with the default -tie-param-order, the vector is exactly the
# K-1 bias parameters θ_2..θ_K, and component k's weight is e^θ_k / Σ e^θ (θ_1 = 0); for two models
# λ_A = 1/(1+e^θ). The file holds θ at full double precision, unlike the log's "OptParams = [ θ ]"
# line, which the stock binary prints with %f (6 decimals) and, in a build without NDEBUG, with
# timestamps spliced in; the log value is only used to check the file (|Δθ| <= 1e-6).
# MITLM's reported perplexities are its "-eval-perp" lines ("\tptb.valid.txt\t%.3f"); run with
# -verbose 2, each is preceded by the same value printed with %f, which is used when it agrees.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ngramkit=${NGRAMKIT:-$root/.build/release/ngramkit}
shared=${NGRAMKIT_SHARED:-$root/../shared}
work=${WORK_DIR:-/tmp/ngramkit-bench/interpolation}
mitlm=${MITLM:-}
half=21034
order=3

die() { echo "compare-mitlm: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

case "${1:-}" in
    -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) die "unknown argument '$1' (see --help; settings are environment variables)" ;;
esac
command -v python3 >/dev/null || die "python3 is needed"
command -v gzip >/dev/null || die "gzip is needed"
[[ -x "$ngramkit" ]] || die "$ngramkit is missing: build it (swift build -c release) or set NGRAMKIT"
ptb=$shared/corpora/ptb
for s in train valid test; do
    [[ -f "$ptb/ptb.$s.txt.gz" ]] || die "$ptb/ptb.$s.txt.gz is missing (set NGRAMKIT_SHARED)"
done
has_mitlm=0
if [[ -z "$mitlm" ]]; then
    echo "compare-mitlm: MITLM is not set: MITLM's columns are skipped (MITLM=/path/to/dir-with-interpolate-ngram)" >&2
elif [[ ! -x "$mitlm/interpolate-ngram" ]]; then
    echo "compare-mitlm: no executable $mitlm/interpolate-ngram: MITLM's columns are skipped" >&2
else
    has_mitlm=1
fi

mkdir -p "$work"
work=$(cd "$work" && pwd)
cd "$work"
rm -f -- *.json mitlm.log mitlm-mix.arpa mitlm-mix.params ngk-*.arpa table.md
log "ngramkit: $ngramkit ($(cd "$root" && git log -1 --format='commit %h' 2>/dev/null || echo 'no git')); MITLM: ${mitlm:-none}; work dir: $work"

# ---- inputs --------------------------------------------------------------------------------------
log "inputs: PTB halves, vocabulary, trigram models"
for s in train valid test; do
    gzip -dc "$ptb/ptb.$s.txt.gz" > "ptb.$s.txt.tmp" && mv "ptb.$s.txt.tmp" "ptb.$s.txt"
done
head -n "$half" ptb.train.txt > A.txt
tail -n +"$((half + 1))" ptb.train.txt > B.txt
[[ -s A.txt && -s B.txt ]] || die "ptb.train has fewer than $half lines"
"$ngramkit" vocab --text ptb.train.txt > vocab.tsv.tmp && mv vocab.tsv.tmp vocab.tsv
for m in A B; do
    "$ngramkit" build --order "$order" --text "$m.txt" --vocab vocab.tsv --arpa "$m.arpa" > "build-$m.log" 2>&1 \
        || { cat "build-$m.log" >&2; die "ngramkit build of half $m failed"; }
done

# MITLM's ARPA reader wants </s> as the first unigram, without a backoff, and <s> with log-prob -99
# (it cannot be predicted); NGramKit writes <unk>, "0 <s> bo", "p </s> 0" first. This rewrites
# only the \1-grams: section: </s> (its backoff, always 0, dropped), then <s> at -99 with its
# backoff, then every other unigram in the file's order. No probability changes.
to_mitlm() {
    awk -F'\t' -v OFS='\t' '
        function flush(   i) {
            if (eos == "" || bos == "") { print "no <s> or </s> unigram" > "/dev/stderr"; exit 1 }
            print eos; print bos
            for (i = 1; i <= n; i++) print rest[i]
            in1 = 0
        }
        /^\\1-grams:/ { print; in1 = 1; next }
        in1 && ($0 == "" || /^\\/) { flush(); print; next }
        in1 {
            if ($2 == "</s>") eos = $1 OFS $2
            else if ($2 == "<s>") bos = "-99" OFS $2 (NF > 2 ? OFS $3 : "")
            else rest[++n] = $0
            next
        }
        { print }
        END { if (in1) flush() }
    ' "$1" > "$2.tmp" && mv "$2.tmp" "$2"
}

# ---- NGramKit: EM ------------------------------------------------------------------------------
log "ngramkit interpolate (EM on ptb.valid)"
"$ngramkit" interpolate --model A.arpa --model B.arpa --dev ptb.valid.txt --arpa ngk-em.arpa --json > em.json

# ---- MITLM: LBFGS ------------------------------------------------------------------------------
if (( has_mitlm )); then
    for m in A B; do to_mitlm "$m.arpa" "$m.m.arpa"; done
    log "MITLM interpolate-ngram -interpolation LI (LBFGS on ptb.valid)"
    "$mitlm/interpolate-ngram" -verbose 2 -order "$order" -lm A.m.arpa,B.m.arpa -interpolation LI \
        -opt-perp ptb.valid.txt -write-params mitlm-mix.params -write-lm mitlm-mix.arpa \
        -eval-perp ptb.valid.txt,ptb.test.txt > mitlm.log 2>&1 \
        || { tail -20 mitlm.log >&2; die "MITLM's interpolate-ngram failed (log: $work/mitlm.log)"; }
    python3 - mitlm-mix.params mitlm.log 2 > mitlm.json <<'EOF'
import json, math, re, struct, sys
params_file, log_file, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = open(params_file, 'rb').read()
if raw[:8] != b'Param\0\0\0':
    sys.exit('mitlm: %s does not start with the "Param" header' % params_file)
(count,) = struct.unpack_from('<Q', raw, 8)
if count < k - 1 or len(raw) < 16 + 8 * count:
    sys.exit('mitlm: %s holds %d parameters, expected at least %d' % (params_file, count, k - 1))
vec = struct.unpack_from('<%dd' % count, raw, 16)
theta = list(vec[count - (k - 1):])       # the bias parameters come last
e = [1.0] + [math.exp(t) for t in theta]
weights = [x / sum(e) for x in e]
text = open(log_file, errors='replace').read()
# "OptParams     = [ " then one "%f " per parameter, each Log() call possibly prefixed "secs\t".
m = re.search(r'OptParams\s*=\s*\[(.*?)\]', text, re.S)
if m:
    logged = [float(x) for x in re.findall(r'(-?[0-9.eE+-]+) ', m.group(1) + ' ')]
    if logged and abs(logged[-1] - theta[-1]) > 1e-6:
        sys.exit('mitlm: the params file gives theta=%r, the log %r' % (theta[-1], logged[-1]))
lines = text.splitlines()
def reported(name):
    for i, line in enumerate(lines):
        mm = re.search(r'\t' + re.escape(name) + r'\t([0-9.]+)$', line)
        if not mm:
            continue
        value = float(mm.group(1))
        if i > 0:   # -verbose 2: the same perplexity with %f just before
            pm = re.fullmatch(r'(?:[0-9.]+\t)?([0-9]+\.[0-9]+)', lines[i - 1])
            if pm and abs(float(pm.group(1)) - value) <= 0.0005001:
                return float(pm.group(1))
        return value
    sys.exit('mitlm: no perplexity of %s in the log' % name)
it = re.search(r'Iterations\s*=\s*(\d+)', text)
fe = re.search(r'Func Evals\s*=\s*(\d+)', text)
print(json.dumps({'theta': theta, 'weights': weights,
                  'dev_perplexity': reported('ptb.valid.txt'), 'test_perplexity': reported('ptb.test.txt'),
                  'iterations': int(it.group(1)) if it else None, 'func_evals': int(fe.group(1)) if fe else None}))
EOF
    mitlm_weights=$(python3 -c 'import json,sys; print(",".join("%.17g" % w for w in json.load(open(sys.argv[1]))["weights"]))' mitlm.json)
    log "ngramkit interpolate --weights $mitlm_weights (MITLM's λ)"
    "$ngramkit" interpolate --model A.arpa --model B.arpa --dev ptb.valid.txt --weights "$mitlm_weights" \
        --arpa ngk-mitlmw.arpa --json > mitlmw.json
fi

# ---- perplexities --------------------------------------------------------------------------------
log "ngramkit ppl: merged models and exact mixtures"
ppl() { local out=$1; shift; "$ngramkit" ppl "$@" --json > "$out"; }
em_weights=$(python3 -c 'import json,sys; print(",".join("%.17g" % w for w in json.load(open(sys.argv[1]))["weights"]))' em.json)
ppl ppl-em-merged-dev.json  --model ngk-em.arpa --text ptb.valid.txt
ppl ppl-em-merged-test.json --model ngk-em.arpa --text ptb.test.txt
ppl ppl-em-exact-test.json  --model A.arpa --model B.arpa --weights "$em_weights" --text ptb.test.txt
if (( has_mitlm )); then
    ppl ppl-mitlmw-merged-dev.json  --model ngk-mitlmw.arpa --text ptb.valid.txt
    ppl ppl-mitlmw-merged-test.json --model ngk-mitlmw.arpa --text ptb.test.txt
    ppl ppl-mitlmw-exact-test.json  --model A.arpa --model B.arpa --weights "$mitlm_weights" --text ptb.test.txt
    ppl ppl-mitlm-arpa-dev.json  --model mitlm-mix.arpa --text ptb.valid.txt
    ppl ppl-mitlm-arpa-test.json --model mitlm-mix.arpa --text ptb.test.txt
fi

# ---- table ----------------------------------------------------------------------------------------
python3 - "$has_mitlm" <<'EOF' | tee table.md
import json, os, re, sys
has_mitlm = sys.argv[1] == '1'
def j(name): return json.load(open(name))
def counts(arpa):
    out = []
    with open(arpa, errors='replace') as f:
        for line in f:
            m = re.match(r'ngram (\d+)=(\d+)', line)
            if m: out.append(m.group(2))
            elif line.startswith('\\1-grams:'): break
    return '/'.join(out)
def f(x, d=6): return '—' if x is None else '%.*f' % (d, x)
def rel(a, b): return (a - b) / b
rows = []
em = j('em.json')
emc = counts('ngk-em.arpa')
for tag in ('em',) + (('mitlmw',) if has_mitlm else ()):
    r = j('%s.json' % tag)
    merged_dev_ppl = j('ppl-%s-merged-dev.json' % tag)['perplexity']
    if abs(rel(merged_dev_ppl, r['merged_dev_perplexity'])) > 1e-7:
        print('compare-mitlm: warning: ngramkit ppl on ngk-%s.arpa gives dev %.9f, interpolate reported %.9f'
              % (tag, merged_dev_ppl, r['merged_dev_perplexity']), file=sys.stderr)
    row = {'name': 'NGramKit EM weights' if tag == 'em' else 'MITLM LBFGS weights',
           'lam': r['weights'][0], 'exact_dev': r['dev_perplexity'], 'merged_dev': r['merged_dev_perplexity'],
           'exact_test': j('ppl-%s-exact-test.json' % tag)['perplexity'],
           'merged_test': j('ppl-%s-merged-test.json' % tag)['perplexity'],
           'ngk_ngrams': counts('ngk-%s.arpa' % tag), 'iters': r['iterations'],
           'mitlm_dev': None, 'mitlm_test': None, 'mitlm_arpa': '—', 'mitlm_ngrams': '—'}
    if tag == 'mitlmw':
        m = j('mitlm.json')
        row.update(mitlm_dev=m['dev_perplexity'], mitlm_test=m['test_perplexity'],
                   mitlm_arpa='%.6f / %.6f' % (j('ppl-mitlm-arpa-dev.json')['perplexity'],
                                               j('ppl-mitlm-arpa-test.json')['perplexity']),
                   mitlm_ngrams=counts('mitlm-mix.arpa'))
    rows.append(row)
print('PTB: trigram KN models of ptb.train lines 1-21034 (A) and 21035-42068 (B), closed vocabulary of '
      'ptb.train; dev ptb.valid (%d tokens, %d OOVs), test ptb.test.' % (em['dev_tokens'], em['dev_oovs']))
print()
print('| weights | λ_A | exact-mixture dev ppl | merged dev ppl (NGramKit) | MITLM dev ppl (reported) '
      '| exact-mixture test ppl | merged test ppl (NGramKit ARPA) | MITLM test ppl (reported) '
      '| MITLM ARPA, `ngramkit ppl` dev / test | n-grams 1/2/3, NGramKit merged | n-grams 1/2/3, MITLM merged |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for r in rows:
    print('| %s | %.6f | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        r['name'], r['lam'], f(r['exact_dev']), f(r['merged_dev']), f(r['mitlm_dev']),
        f(r['exact_test']), f(r['merged_test']), f(r['mitlm_test']), r['mitlm_arpa'],
        r['ngk_ngrams'], r['mitlm_ngrams']))
print()
if has_mitlm:
    m = j('mitlm.json'); r = rows[1]
    ad, at = j('ppl-mitlm-arpa-dev.json')['perplexity'], j('ppl-mitlm-arpa-test.json')['perplexity']
    print('Relative difference, NGramKit merged at MITLM\'s λ vs MITLM: dev %+.2e, test %+.2e (vs MITLM\'s reported '
          'perplexities); dev %+.2e, test %+.2e (vs `ngramkit ppl` on MITLM\'s ARPA).'
          % (rel(r['merged_dev'], m['dev_perplexity']), rel(r['merged_test'], m['test_perplexity']),
             rel(r['merged_dev'], ad), rel(r['merged_test'], at)))
    e, w = rows
    print('Each tuner wins its own objective: exact-mixture dev ppl at MITLM\'s λ minus at EM\'s %+.3e; '
          'merged dev ppl at MITLM\'s λ minus at EM\'s %+.3e.'
          % (w['exact_dev'] - e['exact_dev'], w['merged_dev'] - e['merged_dev']))
    print()
    print('EM: %d iterations, λ_A = %.9f; MITLM LBFGS: %s iterations, %s function evaluations, θ = %.17g, '
          'λ_A = 1/(1+e^θ) = %.9f (from -write-params).'
          % (em['iterations'], em['weights'][0], m['iterations'], m['func_evals'], m['theta'][-1], m['weights'][0]))
else:
    print('MITLM skipped (set MITLM=/path/to/dir-with-interpolate-ngram). EM: %d iterations.' % em['iterations'])
EOF
