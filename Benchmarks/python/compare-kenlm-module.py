"""The Python package beside the `kenlm` module: per-sentence `score` in a Python loop, `score_many`
(ngramkit only: kenlm has no batch call, so its loop is the comparison), and model load time, on the
benchmark model (order 5 of the first 60,000,000 bytes of Gutenberg shard 00, 30.2 M n-grams) and
the first 40,000 lines of shard 01, alternating A B A B, medians of RUNS.

Usage (a venv with ngramkit installed, and kenlm when `pip install kenlm` builds here):
    python Benchmarks/python/compare-kenlm-module.py --ngramkit-model M.bin [--kenlm-model M.kenlm] --queries Q.txt [--runs 3]

The two models must be the same model (NGramKit's binary of the ARPA file KenLM's build_binary
made its probing file from); the script prints both totals, which agree to the files' single
precision. A missing kenlm module or model skips its rows with a message.
"""
import argparse
import statistics
import sys
import time

import ngramkit


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ngramkit-model", required=True)
    parser.add_argument("--kenlm-model")
    parser.add_argument("--queries", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with open(args.queries, encoding="utf-8", errors="replace") as f:
        sentences = [line.rstrip("\n") for line in f]
    try:
        import kenlm  # type: ignore
    except ImportError as error:
        kenlm = None
        print(f"kenlm module not available ({error}): its rows are skipped", file=sys.stderr)
    if kenlm is not None and not args.kenlm_model:
        kenlm = None
        print("no --kenlm-model: kenlm's rows are skipped", file=sys.stderr)

    rows = {"ngramkit load": [], "kenlm load": [], "ngramkit score loop": [], "kenlm score loop": [],
            "ngramkit score_many (all cores)": [], "ngramkit score_many (1 thread)": []}
    totals = {}
    for _ in range(args.runs):
        seconds, model = timed(lambda: ngramkit.Model(args.ngramkit_model))
        rows["ngramkit load"].append(seconds)
        seconds, total = timed(lambda: sum(model.score(s) for s in sentences))
        rows["ngramkit score loop"].append(seconds)
        totals["ngramkit"] = total
        seconds, scores = timed(lambda: model.score_many(sentences))
        rows["ngramkit score_many (all cores)"].append(seconds)
        seconds, scores1 = timed(lambda: model.score_many(sentences, threads=1))
        rows["ngramkit score_many (1 thread)"].append(seconds)
        assert scores == scores1 and abs(sum(scores) - total) < 1e-6 * abs(total)
        model.close()
        if kenlm is not None:
            seconds, reference = timed(lambda: kenlm.Model(args.kenlm_model))
            rows["kenlm load"].append(seconds)
            seconds, total = timed(lambda: sum(reference.score(s, bos=True, eos=True) for s in sentences))
            rows["kenlm score loop"].append(seconds)
            totals["kenlm"] = total
            del reference
    tokens = sum(len(s.split()) + 1 for s in sentences)
    print(f"{len(sentences)} sentences, {tokens} tokens with </s>; log10 totals: "
          + ", ".join(f"{name} {value:.4f}" for name, value in totals.items()))
    print(f"| what | median s (of {args.runs}) | runs | µs per sentence |")
    print("|---|---|---|---|")
    for name, values in rows.items():
        if not values:
            continue
        median = statistics.median(values)
        per = "" if "load" in name else f"{median / len(sentences) * 1e6:.2f}"
        print(f"| {name} | {median:.4f} | {', '.join(f'{v:.4f}' for v in values)} | {per} |")
    if rows["kenlm score loop"]:
        loop = statistics.median(rows["kenlm score loop"])
        print(f"kenlm loop / ngramkit loop: {loop / statistics.median(rows['ngramkit score loop']):.2f}; "
              f"kenlm loop / ngramkit score_many: {loop / statistics.median(rows['ngramkit score_many (all cores)']):.2f}")


if __name__ == "__main__":
    main()
