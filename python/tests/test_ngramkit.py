"""The Python package: parity with KenLM's fixtures and with the command-line tool, score_many on
threads, state lifetimes, bad input as exceptions, the jobs, and the README's example."""
import gzip
import json
import math
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import ngramkit

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("NGRAMKIT_SHARED", ROOT.parent / "shared"))
KENLM = SHARED / "fixtures" / "kenlm"
TEXT = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n"


def lines(path, limit=None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        out = [line.rstrip("\n") for line in f]
    return out[:limit] if limit else out


@pytest.fixture(scope="module")
def brown():
    """KenLM's order-4 Brown model (lmplz), read by NGramKit."""
    with ngramkit.Model(KENLM / "brown.o4.arpa.gz") as model:
        yield model


def test_kenlm_query_parity(brown):
    """Per token, the log10 probabilities, matched lengths and OOVs of KenLM's query output."""
    sentences = lines(KENLM / "brown.test1k.txt.gz", 300)
    expected = lines(KENLM / "brown.o4.test1k.query.txt.gz", 300)
    assert len(sentences) == len(expected) == 300
    for sentence, reference in zip(sentences, expected):
        tokens = re.findall(r"(\S+)=(\d+) (\d+) (\S+)", reference.split("Total:")[0])
        got = brown.full_scores(sentence)
        assert len(got) == len(tokens)
        for (p, n, oov), (_, word_id, length, logp) in zip(got, tokens):
            assert abs(p - float(logp)) <= 1e-6 * max(1.0, abs(p))
            assert n == int(length)
            assert oov == (word_id == "0" and _ != "<unk>")


def test_cli_parity(brown, tmp_path):
    """The same log10 per sentence as `ngramkit ppl --per-sentence` (PTB-style text through the CLI)."""
    sentences = lines(KENLM / "brown.test1k.txt.gz", 200)
    text = tmp_path / "t.txt"
    text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    out = subprocess.run([ngramkit._native.tool_path(), "ppl", "--model", brown.path, "--text", str(text), "--per-sentence"],
                         check=True, stdout=subprocess.PIPE).stdout.decode().splitlines()
    for sentence, line in zip(sentences, out):
        assert abs(brown.score(sentence) - float(line.split("\t")[0])) < 1e-4
    total = ngramkit.perplexity(brown, text)
    assert total["sentences"] == 200
    assert abs(sum(brown.score(s) for s in sentences) - total["log10_prob"]) < 1e-6 * abs(total["log10_prob"])


def test_cli_query_parity_ptb(tmp_path):
    """PTB: per token, the log10 probability and matched length `ngramkit query` prints (to its
    single-precision output) for KenLM's order-3 PTB model."""
    sentences = [line.replace("<unk>", "UNKTOK") for line in lines(SHARED / "corpora" / "ptb" / "ptb.test.txt.gz", 300)]
    text = tmp_path / "ptb.txt"
    text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    model = ngramkit.Model(KENLM / "ptb.o3.arpa.gz")
    out = subprocess.run([ngramkit._native.tool_path(), "query", "--model", model.path, "--text", str(text)],
                         check=True, stdout=subprocess.PIPE).stdout.decode().splitlines()
    for sentence, line in zip(sentences, out):
        tokens = re.findall(r"(\S+)=(\d+) (\d+) (\S+)", line.split("Total:")[0])
        got = model.full_scores(sentence)
        assert [n for _, n, _ in got] == [int(length) for _, _, length, _ in tokens]
        for (p, _, _), (_, _, _, logp) in zip(got, tokens):
            assert abs(p - float(logp)) <= 1e-6 * max(1.0, abs(p))
    model.close()


def test_kenlm_module_conventions(brown):
    """score with and without <s> and </s>, perplexity, the vocabulary."""
    full = brown.full_scores("the jury said")
    assert len(full) == 4
    assert math.isclose(brown.score("the jury said"), sum(p for p, _, _ in full), rel_tol=1e-12)
    assert len(brown.full_scores("the jury said", eos=False)) == 3
    assert brown.score("the jury said", bos=False) != brown.score("the jury said")
    assert math.isclose(brown.perplexity("the jury said"), 10 ** (-brown.score("the jury said") / 4), rel_tol=1e-12)
    assert brown.order == 4 and len(brown.ngram_counts) == 4
    vocabulary = brown.vocabulary
    assert "jury" in vocabulary and "zzzunknownzzz" not in vocabulary and 42 not in vocabulary
    assert vocabulary.word(0) == "<unk>" and vocabulary.id("</s>") == 2
    assert len(vocabulary) == brown.ngram_counts[0]
    assert sum(1 for _ in vocabulary) == len(vocabulary)
    with pytest.raises(IndexError):
        vocabulary.word(len(vocabulary))


def test_score_many_threads(brown):
    """score_many equals score for any number of threads, also from several Python threads at once."""
    sentences = lines(KENLM / "brown.test1k.txt.gz", 1000)
    expected = [brown.score(s) for s in sentences]
    for threads in (1, 2, 4, 0):
        assert brown.score_many(sentences, threads=threads) == expected
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: brown.score_many(sentences, threads=2), range(8)))
    assert all(r == expected for r in results)
    assert brown.score_many([]) == []


def test_states(brown):
    """advance through a state gives full_scores' numbers; copies branch; a closed model is an error."""
    words = "the jury said it did".split()
    state = brown.begin()
    got = [brown.advance(state, w) for w in words] + [brown.advance(state, "</s>")]
    assert got == [p for p, _, _ in brown.full_scores(" ".join(words))]
    branch = brown.begin()
    brown.advance(branch, "the")
    other = branch.copy()
    assert brown.advance(branch, "jury") == brown.advance(other, "jury")
    with pytest.raises(ngramkit.NGramKitError):
        brown.advance(state, "<s>")


def test_lifetime(tmp_path):
    """A model closed while a state is alive: an error on use, not a crash; the state can be dropped."""
    model = ngramkit.build(TEXT, order=3)
    state = model.begin()
    model.advance(state, "the")
    model.close()
    assert model.closed
    with pytest.raises(ngramkit.NGramKitError, match="closed"):
        model.advance(state, "cat")
    with pytest.raises(ngramkit.NGramKitError):
        model.score("the cat")
    with pytest.raises(ngramkit.NGramKitError):
        state.copy()
    del model
    del state
    with ngramkit.build(TEXT, order=2) as again:
        assert again.order == 2
    assert again.closed


def test_bad_input(tmp_path):
    """Missing files, damaged models and the reliability reproducers raise NGramKitError with one line."""
    with pytest.raises(ngramkit.NGramKitError) as error:
        ngramkit.Model(tmp_path / "missing.arpa")
    assert "missing.arpa" in str(error.value) and "\n" not in str(error.value)
    damaged = tmp_path / "damaged.bin"
    model = ngramkit.build(TEXT, order=3, path=tmp_path / "m.bin")
    data = bytearray((tmp_path / "m.bin").read_bytes())
    damaged.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ngramkit.NGramKitError, match="truncated"):
        ngramkit.Model(damaged)
    reliability = SHARED / "reliability"
    for name in ("hdr_1e9.arpa", "hdr_2e32.arpa", "hdr_2e63.arpa", "prob_1e400.arpa", "prob_pos.arpa", "boff_huge.bin",
                 "idx_badid.bin", "idx_ff.bin"):
        try:
            loaded = ngramkit.Model(reliability / name)
        except ngramkit.NGramKitError as e:
            assert "\n" not in str(e)
        else:
            loaded.score("a b c")
            loaded.close()
    with pytest.raises(ngramkit.NGramKitError):
        model.score("a </s> b")
    with pytest.raises(TypeError):
        model.score(b"bytes")
    with pytest.raises(ngramkit.NGramKitError):
        ngramkit.build(TEXT, order=0)
    with pytest.raises(ngramkit.NGramKitError):
        ngramkit.build(TEXT, order=3, smoothing="nonsense")


def test_build_count_and_options(tmp_path):
    """build takes the tool's options; its model equals the CLI's; count returns the summary."""
    text = tmp_path / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    arpa = tmp_path / "m.arpa"
    model = ngramkit.build(text, order=3, path=tmp_path / "m.bin", arpa=arpa, min_count=1)
    subprocess.run([ngramkit._native.tool_path(), "build", "--order", "3", "--text", str(text), "--arpa", str(tmp_path / "cli.arpa")],
                   check=True, stderr=subprocess.DEVNULL)
    assert arpa.read_bytes() == (tmp_path / "cli.arpa").read_bytes()
    assert ngramkit.build(TEXT, order=3, smoothing="witten-bell").smoothing == "witten-bell"
    summary = ngramkit.count([text], order=2)
    assert summary["tokens"] > 0
    assert model.order == 3


def test_next_words_and_generate():
    model = ngramkit.build(TEXT, order=3)
    best = model.next_words("the", k=3)
    assert len(best) == 3 and best[0][1] >= best[1][1] >= best[2][1]
    everything = model.next_words("the", k=0)
    assert abs(sum(10 ** p for _, p in everything) - 1) < 1e-6  # a binary model: Float values
    first = model.generate(count=5, seed=3, prefix="the")
    assert first == model.generate(count=5, seed=3, prefix="the")
    assert all(s["text"].startswith("the") for s in first)
    with pytest.raises(ngramkit.NGramKitError):
        model.generate(temperature=0)


def test_fit_scaling_law():
    """The fitter recovers E, B and beta from exact points of a known law."""
    sizes = [1e4 * 2 ** k for k in range(10)]
    losses = [2.0 + 50.0 * d ** -0.3 for d in sizes]
    fit = ngramkit.fit_scaling_law(sizes, losses, bootstrap=200, seed=1)
    text = json.dumps(fit)
    assert "beta" in text or "β" in text
    beta = fit.get("beta") or fit.get("exponent")
    assert beta is not None and abs(beta - 0.3) < 0.01, fit
    with pytest.raises(ngramkit.NGramKitError):
        ngramkit.fit_scaling_law([1, 2], [1, 2])


def test_scale(tmp_path):
    result = ngramkit.scale(TEXT * 200, out=tmp_path / "run", orders=[1, 2], sizes=["500", "1k", "2k"], heldout_fraction=0.1,
                            bootstrap=100)
    rows = result.points if isinstance(result.points, list) else result.points.to_dict("records")
    assert len(rows) >= 6
    assert isinstance(result.fits, (dict, list))
    assert (tmp_path / "run" / "report.md").exists()


def test_readme_example():
    """The README's Python example runs as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- python-example -->\s*```python\n(.*?)```", readme, re.S)
    assert match, "the README's Python example is marked <!-- python-example -->"
    exec(compile(match.group(1), "README.md", "exec"), {})


def test_help_reads_well():
    assert "kenlm" in ngramkit.__doc__ and ngramkit.Model.score.__doc__
    assert ngramkit.version()
