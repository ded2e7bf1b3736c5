#!/usr/bin/env python3
"""NGramKit's classical smoothing methods beside NLTK's `nltk.lm`, token by token.

Usage: python3 Benchmarks/classical/compare-nltk.py [--ngramkit BIN] [--lines N] [--test-lines M]
Run it with a Python that has nltk (`pip install nltk`); without nltk it says so and exits 0.

Trains order-3 models on the first N lines of Brown (`../shared/fixtures/kenlm/brown.train5k.txt.gz`)
with `ngramkit build` and with NLTK, scores the first M lines of `brown.test1k.txt.gz` whose words
are all in the training vocabulary with `ngramkit query` and NLTK's `score`, and prints, per method,
how many tokens were compared and the largest difference of log10 p.

NLTK is given NGramKit's conventions, each named where it is set:
  - counts: the everygrams of `<s> w1 ... wn </s>` (one `<s>`, as KenLM and NGramKit), without the
    unigram `<s>` (never predicted);
  - the unigram distribution: NGramKit's (NLTK's unigrams are unsmoothed relative frequencies, so
    a word unseen in training, `<unk>`, has none); `unigram_score` returns NGramKit's p(w);
  - the discount: per order, n1/(n1+2·n2) as NGramKit computes it (NLTK takes one number for all
    orders: 0.75 for absolute discounting, 0.1 for Kneser-Ney);
  - Kneser-Ney: NGramKit (as KenLM) keeps raw counts for n-grams that start with `<s>`, which NLTK
    has no continuation counts for; tokens whose history holds `<s>` are not compared there.
What is compared is then everything above the unigrams: the formulas of each method.
"""
import argparse, gzip, math, os, struct, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
shared = os.path.join(os.path.dirname(repo), "shared")

parser = argparse.ArgumentParser()
parser.add_argument("--ngramkit", default=os.path.join(repo, ".build/release/ngramkit"))
parser.add_argument("--lines", type=int, default=5000)
parser.add_argument("--test-lines", type=int, default=1000)
args = parser.parse_args()
try:
    from nltk.lm import WittenBellInterpolated, AbsoluteDiscountingInterpolated, KneserNeyInterpolated, Lidstone
    from nltk.util import everygrams
except ImportError:
    print("compare-nltk: nltk is not installed for", sys.executable, "(pip install nltk); skipped")
    sys.exit(0)

train = [l.split() for l in gzip.open(os.path.join(shared, "fixtures/kenlm/brown.train5k.txt.gz"), "rt")][: args.lines]
vocab = {w for s in train for w in s}
test = [l.split() for l in gzip.open(os.path.join(shared, "fixtures/kenlm/brown.test1k.txt.gz"), "rt")][: args.test_lines]
test = [s for s in test if s and all(w in vocab for w in s)]
work = tempfile.mkdtemp(prefix="ngramkit-nltk-")
open(os.path.join(work, "train.txt"), "w").write("\n".join(" ".join(s) for s in train) + "\n")
open(os.path.join(work, "test.txt"), "w").write("\n".join(" ".join(s) for s in test) + "\n")
order = 3

def ngramkit(smoothing):
    """log10 p of every test token, and the model's unigram probabilities, from ngramkit."""
    arpa = os.path.join(work, smoothing + ".arpa")
    subprocess.run([args.ngramkit, "build", "--order", str(order), "--text", os.path.join(work, "train.txt"),
                    "--smoothing", smoothing, "--arpa", arpa], check=True, stderr=subprocess.DEVNULL)
    out = subprocess.run([args.ngramkit, "query", "--model", arpa, "--text", os.path.join(work, "test.txt")],
                         check=True, capture_output=True, text=True).stdout
    scores = []
    for line in out.splitlines():
        if line.startswith("Total:"):
            continue
        scores.extend(float(tok.split()[-1]) for tok in line.split("\t") if "=" in tok)
    unigrams, section = {}, None
    for line in open(arpa):
        line = line.rstrip("\n")
        if line.startswith("\\"):
            section = line
            continue
        if section == "\\1-grams:" and line:
            fields = line.split("\t")
            unigrams[fields[1]] = 10 ** float(fields[0])
    return scores, unigrams

def discounts(adjusted):
    """n1/(n1+2 n2) per order, from raw counts (absolute discounting) or adjusted counts (KN)."""
    from collections import Counter
    grams = [Counter() for _ in range(order + 1)]
    for s in train:
        padded = ["<s>"] + s + ["</s>"]
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                g = tuple(padded[i:i + n])
                if g != ("<s>",):
                    grams[n][g] += 1
    result = {}
    for n in range(1, order + 1):
        counts = grams[n]
        if adjusted and n < order:
            # Distinct left extensions, raw counts for n-grams that start with <s>.
            left = Counter(g[1:] for g in grams[n + 1])
            counts = {g: (c if g[0] == "<s>" else left[g]) for g, c in counts.items()}
        n1 = sum(1 for c in counts.values() if c == 1)
        n2 = sum(1 for c in counts.values() if c == 2)
        y = n1 / (n1 + 2 * n2)
        # Kneser-Ney's Y in single precision, as KenLM and NGramKit compute it.
        result[n] = struct.unpack("f", struct.pack("f", y))[0] if adjusted else y
    return result

def fit(model):
    text = [[g for g in everygrams(["<s>"] + s + ["</s>"], max_len=order) if g != ("<s>",)] for s in train]
    model.fit(text, vocabulary_text=[w for s in train for w in s] + ["<s>", "</s>"])
    return model

def tokens():
    """(word, history) of every test token, history of up to order − 1 words."""
    for s in test:
        padded = ["<s>"] + s + ["</s>"]
        for i in range(1, len(padded)):
            yield padded[i], tuple(padded[max(0, i - order + 1):i])

def compare(name, smoothing, model, skip=lambda history: False):
    ours, unigrams = ngramkit(smoothing)
    model.estimator.unigram_score = lambda word: unigrams["<unk>" if word == "<UNK>" else word]
    worst, compared = 0.0, 0
    for (word, history), mine in zip(tokens(), ours):
        if skip(history):
            continue
        theirs = math.log10(model.score(word, history))
        worst = max(worst, abs(theirs - mine))
        compared += 1
    print(f"| {name} | `--smoothing {smoothing}` | {compared} | {worst:.2e} |")
    return worst

print(f"Brown, first {args.lines} training lines, order {order}; {len(test)} test sentences without OOVs.")
print()
print("| NLTK | NGramKit | tokens compared | largest difference of log10 p |")
print("|---|---|---:|---:|")
worst = 0.0
worst = max(worst, compare("`WittenBellInterpolated`", "witten-bell", fit(WittenBellInterpolated(order))))

def per_order(model, discount):
    """NLTK's estimator with `discount[n]` at order n instead of one number for all."""
    base = type(model.estimator)
    class PerOrder(base):
        def alpha_gamma(self, word, context):
            self.discount = discount[len(context) + 1]
            return base.alpha_gamma(self, word, context)
    model.estimator.__class__ = PerOrder
    return model

worst = max(worst, compare("`AbsoluteDiscountingInterpolated`", "absolute-discounting",
                           per_order(fit(AbsoluteDiscountingInterpolated(order)), discounts(adjusted=False))))
worst = max(worst, compare("`KneserNeyInterpolated`", "kneser-ney-original",
                           per_order(fit(KneserNeyInterpolated(order)), discounts(adjusted=True)), skip=lambda h: "<s>" in h))
print()
print("equal within 1e-6:", "yes" if worst < 1e-6 else "NO")
# Negative control: NLTK's own single discount (0.75 at every order) is another model, and the
# comparison says so.
print()
control = compare("`AbsoluteDiscountingInterpolated` with NLTK's discount 0.75 (negative control)", "absolute-discounting",
                  fit(AbsoluteDiscountingInterpolated(order)))
print("negative control differs:", "yes" if control > 1e-3 else "NO")
