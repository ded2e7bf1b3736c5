"""NGramKit from Python: n-gram language models that build, score, predict and sample.

Load a model (ARPA or NGramKit's binary format) and score sentences as the `kenlm` module does::

    import ngramkit
    model = ngramkit.build("the cat sat on the mat\\nthe dog sat on the log\\n", order=3)
    model.score("the cat sat")            # log10 p, with <s> and </s>
    model.perplexity("the dog sat")
    model.next_words("the", k=3)          # [(word, log10 p), ...], best first
    model.score_many(lines)               # on all cores, without the GIL

Build, count, perplexity and the data-scaling harness take the command-line tool's options
(`ngramkit build --help`) as keyword arguments (`min_count=2` is `--min-count 2`).
`fit_scaling_law(D, L)` fits L(D) = E + B·D^(−β) with bootstrap intervals on any data.

Errors are `NGramKitError`, carrying NGramKit's one-line message; bad input never crashes the
interpreter.
"""
import csv
import ctypes
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _native
from ._native import NGramKitError, version

__all__ = ["Model", "State", "Vocabulary", "NGramKitError", "build", "count", "perplexity", "scale", "fit_scaling_law",
           "version", "ScaleResult"]
__version__ = "0.9.0"

PathLike = Union[str, "os.PathLike[str]"]
TextOrPaths = Union[str, "os.PathLike[str]", Sequence[PathLike]]


def _encode(text: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"expected a str, not {type(text).__name__}")
    return text.encode("utf-8")


class Vocabulary:
    """The words of a model: `len`, `in`, iteration in id order, `id(word)` and `word(id)`.
    Ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`."""

    def __init__(self, model: "Model"):
        self._model = model

    def __len__(self) -> int:
        return _native.model_vocabulary_size(self._model._live())

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.id(word) is not None

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self.word(i)

    def id(self, word: str) -> Optional[int]:
        """The word's id, or None when the model does not know it."""
        data = _encode(word)
        found = _native.model_lookup(self._model._live(), data, len(data))
        return None if found < 0 else found

    def word(self, id: int) -> str:
        """The word with this id (IndexError outside the vocabulary)."""
        pointer = _native.model_word(self._model._live(), id)
        if not pointer:
            raise IndexError(f"word id {id} outside the vocabulary of {len(self)} words")
        return _native.take_string(pointer)


class State:
    """A scoring history for decoders (kenlm's `State` with `BaseScore`): `model.advance(state, word)`
    scores the word after the history and moves the history on. `copy()` branches it."""

    def __init__(self, model: "Model", handle: int):
        self._model = model
        self._handle = handle

    def copy(self) -> "State":
        """A state with the same history, moved on independently."""
        self._model._live()
        return State(self._model, _native.state_copy(self._handle))

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            _native.state_free(handle)


class Model:
    """An n-gram model: an ARPA file (plain or gzip) or NGramKit's binary model (mapped, loaded in
    constant time). Use it as a context manager, or `close()` it; a closed model raises
    `NGramKitError` on use, also through states made from it."""

    def __init__(self, path: PathLike):
        self.path = os.fspath(path)
        data = _encode(self.path)
        handle = ctypes.c_void_p()
        _native.check(_native.model_load(data, len(data), ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value
        self._info = json.loads(_native.take_string(_native.model_info(self._handle)))
        self.vocabulary = Vocabulary(self)

    # Lifetime

    def _live(self) -> int:
        if not self._handle:
            raise NGramKitError(f"{self.path}: the model is closed; load it again with ngramkit.Model(path)")
        return self._handle

    def close(self) -> None:
        """Releases the model (states made from it then raise on use)."""
        handle, self._handle = self._handle, None
        if handle:
            _native.model_free(handle)

    @property
    def closed(self) -> bool:
        return not self._handle

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"order {self.order}, {self._info['smoothing']}"
        return f"ngramkit.Model({self.path!r}, {state})"

    # Facts

    @property
    def order(self) -> int:
        """The highest n-gram order."""
        return _native.model_order(self._live())

    @property
    def ngram_counts(self) -> List[int]:
        """N-grams per order (1-grams first)."""
        return list(self._info["ngrams"])

    @property
    def smoothing(self) -> str:
        """The smoothing the file records ("unknown" for an ARPA file from another toolkit)."""
        return self._info["smoothing"]

    # Scoring (kenlm's conventions)

    def score(self, sentence: str, bos: bool = True, eos: bool = True) -> float:
        """log10 p(sentence): its words (tokenized as the model records) after `<s>` with `bos`,
        and `</s>` at the end with `eos`. A word the model does not know is scored as `<unk>`."""
        data = _encode(sentence)
        out = ctypes.c_double()
        _native.check(_native.model_score(self._live(), data, len(data), int(bos), int(eos), ctypes.byref(out)))
        return out.value

    def full_scores(self, sentence: str, bos: bool = True, eos: bool = True) -> List[Tuple[float, int, bool]]:
        """Per token (`</s>` included with `eos`): (log10 p, length of the n-gram matched, is OOV),
        as kenlm's `full_scores`."""
        data = _encode(sentence)
        count = ctypes.c_ssize_t()
        handle = self._live()
        capacity = len(data) + 2
        while True:
            probs = (ctypes.c_double * capacity)()
            matched = (ctypes.c_int32 * capacity)()
            oov = (ctypes.c_uint8 * capacity)()
            _native.check(_native.model_full_scores(handle, data, len(data), int(bos), int(eos), capacity, probs, matched, oov,
                                                    ctypes.byref(count)))
            if count.value <= capacity:
                return [(probs[i], matched[i], bool(oov[i])) for i in range(count.value)]
            capacity = count.value

    def perplexity(self, sentence: str) -> float:
        """10^(−log10 p / tokens) of the sentence with `<s>` and `</s>` (`</s>` counted)."""
        scores = self.full_scores(sentence)
        return 10.0 ** (-sum(p for p, _, _ in scores) / len(scores))

    def score_many(self, sentences: Iterable[str], bos: bool = True, eos: bool = True, threads: int = 0) -> List[float]:
        """`score` of every sentence, on `threads` threads (0: all cores), without holding the GIL.
        The results are the same for any number of threads."""
        data = [_encode(s) for s in sentences]
        n = len(data)
        if n == 0:
            return []
        pointers = (ctypes.c_char_p * n)(*data)
        lengths = (ctypes.c_ssize_t * n)(*[len(d) for d in data])
        out = (ctypes.c_double * n)()
        _native.check(_native.model_score_many(self._live(), pointers, lengths, n, int(bos), int(eos), threads, out))
        return list(out)

    # Decoding

    def begin(self, bos: bool = True) -> State:
        """A state at a sentence start (`<s>`), or with no history when `bos` is False."""
        return State(self, _native.state_new(self._live(), int(bos)))

    def advance(self, state: State, word: str) -> float:
        """log10 p(word | the state's history); the state moves on by the word."""
        if state._model is not self:
            raise NGramKitError("the state belongs to another model")
        self._live()
        data = _encode(word)
        out, matched = ctypes.c_double(), ctypes.c_int32()
        _native.check(_native.state_advance(state._handle, data, len(data), ctypes.byref(out), ctypes.byref(matched)))
        return out.value

    # Next words and sampling

    def next_words(self, context: str = "", k: int = 10, sentence_start: bool = False) -> List[Tuple[str, float]]:
        """The `k` most probable next words after `context` (k ≤ 0: the whole distribution), best
        first, with their exact log10 probabilities (`ngramkit next`)."""
        data = _encode(context)
        out = ctypes.c_void_p()
        _native.check(_native.model_next_words(self._live(), data, len(data), k, int(sentence_start), ctypes.byref(out)))
        line = _native.take_string(out.value)
        return [(w["word"], w["log10_prob"]) for w in json.loads(line)["words"]]

    def generate(self, count: int = 1, seed: int = 1, prefix: str = "", max_words: int = 100,
                 temperature: float = 1.0) -> List[Dict[str, Any]]:
        """Sentences drawn from the model (`ngramkit generate`): dicts with text, log10_prob,
        words, ended. The same seed gives the same sentences."""
        data = _encode(prefix)
        out = ctypes.c_void_p()
        _native.check(_native.model_generate(self._live(), count, seed, data, len(data), max_words, float(temperature),
                                             ctypes.byref(out)))
        return [json.loads(line) for line in _native.take_string(out.value).splitlines()]


# Jobs: the command-line tool's, with its options as keyword arguments.


def _flags(options: Dict[str, Any]) -> List[str]:
    arguments: List[str] = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif isinstance(value, (list, tuple)):
            arguments.append(flag)
            arguments += [os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in value]
        else:
            arguments += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return arguments


def _run(arguments: List[str], stdin: Optional[bytes] = None, with_stderr: bool = False) -> str:
    """Runs the tool; its last stderr line is the error when it fails. Returns its stdout (and
    stderr after it with `with_stderr`)."""
    process = subprocess.run([_native.tool_path()] + arguments, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if process.returncode != 0:
        lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NGramKitError(lines[-1] if lines else f"ngramkit {arguments[0]} failed ({process.returncode})")
    return process.stdout.decode("utf-8") + (process.stderr.decode("utf-8", "replace") if with_stderr else "")


def _text_arguments(text_or_paths: Optional[TextOrPaths]) -> Tuple[List[str], Optional[bytes]]:
    """A str is the text itself (given on standard input); a path or a list of paths are files."""
    if text_or_paths is None:
        return [], None
    if isinstance(text_or_paths, str):
        return ["--text", "-"], text_or_paths.encode("utf-8")
    if isinstance(text_or_paths, os.PathLike):
        return ["--text", os.fspath(text_or_paths)], None
    paths = [os.fspath(p) for p in text_or_paths]
    if not paths:
        raise NGramKitError("no text: give the text as a str, or a path or a list of paths")
    return ["--text"] + paths, None


def build(text_or_paths: TextOrPaths, order: int = 5, smoothing: str = "kneser-ney", path: Optional[PathLike] = None,
          arpa: Optional[PathLike] = None, **options: Any) -> Model:
    """Estimates a model (`ngramkit build`) and loads it.

    `text_or_paths`: the text itself (a str, one sentence per line), or a path or a list of paths
    (plain or gzip). The model goes to `path` in the binary format (a temporary file, removed once
    mapped, when None), and also to `arpa` when given. Every other option of `ngramkit build` is a
    keyword: `min_count=2`, `prune=[0, 1, 1]`, `tokenizer="unicode"`, `memory="2G"`, ...
    """
    text, stdin = _text_arguments(text_or_paths)
    with tempfile.TemporaryDirectory(prefix="ngramkit-") as scratch:
        target = os.fspath(path) if path is not None else os.path.join(scratch, "model.bin")
        arguments = ["build", "--order", str(order), "--smoothing", smoothing, "--binary", target] + text
        if arpa is not None:
            arguments += ["--arpa", os.fspath(arpa)]
        _run(arguments + _flags(options), stdin)
        return Model(target)


def count(text_or_paths: TextOrPaths, order: int = 5, **options: Any) -> Dict[str, Any]:
    """Counts n-grams (`ngramkit count --json`) and returns the summary; `out="counts.txt"`
    writes the counts."""
    text, stdin = _text_arguments(text_or_paths)
    return json.loads(_run(["count", "--order", str(order), "--json"] + text + _flags(options), stdin))


def perplexity(model: Union[Model, PathLike], text_or_paths: TextOrPaths, **options: Any) -> Dict[str, Any]:
    """`ngramkit ppl --json` of a model on text: sentences, tokens, oovs, log10_prob, perplexity,
    perplexity_excluding_oovs."""
    path = model.path if isinstance(model, Model) else os.fspath(model)
    text, stdin = _text_arguments(text_or_paths)
    return json.loads(_run(["ppl", "--model", path, "--json"] + text + _flags(options), stdin))


class ScaleResult:
    """A `scale` run: `points` (one row per method, order, slice and repeat; a pandas DataFrame
    when pandas is installed, else a list of dicts), `fits` (fits.json as a dict), `summary` (the
    lines the tool prints) and `directory` (report.md, the SVG plots)."""

    def __init__(self, directory: str, summary: str):
        self.directory = directory
        self.summary = summary
        with open(os.path.join(directory, "fits.json"), encoding="utf-8") as f:
            self.fits: Dict[str, Any] = json.load(f)
        with open(os.path.join(directory, "points.csv"), encoding="utf-8", newline="") as f:
            rows = [dict(row) for row in csv.DictReader(f)]
        for row in rows:
            for key, value in row.items():
                row[key] = _number(value)
        try:
            import pandas  # type: ignore
            self.points: Any = pandas.DataFrame(rows)
        except ImportError:
            self.points = rows


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            pass
    return value


def scale(text_or_paths: Optional[TextOrPaths] = None, out: Optional[PathLike] = None, **options: Any) -> ScaleResult:
    """Runs the data-scaling harness (`ngramkit scale`): models of growing slices of the text, a
    point per (method, order, slice, repeat), laws fitted with bootstrap intervals. Without text
    it runs on the bundled corpus. Options as `ngramkit scale`'s: `orders=[1, 2, 3]` is
    `--orders 1,2,3`, `sizes=["10k", "20k"]`, `heldout_fraction=0.1`, `repeats=2`, ...
    The run's files stay in `out` (a new temporary folder when None)."""
    directory = os.fspath(out) if out is not None else tempfile.mkdtemp(prefix="ngramkit-scale-")
    for key in ("orders", "sizes", "smoothing"):
        if isinstance(options.get(key), (list, tuple)):
            options[key] = ",".join(str(v) for v in options[key])
    text, stdin = _text_arguments(text_or_paths)
    if stdin is not None:
        scratch = os.path.join(directory, "text.txt")
        os.makedirs(directory, exist_ok=True)
        with open(scratch, "wb") as f:
            f.write(stdin)
        text, stdin = ["--text", scratch], None
    return ScaleResult(directory, _run(["scale", "--out", directory] + text + _flags(options), with_stderr=True))


def fit_scaling_law(sizes: Sequence[float], losses: Sequence[float], bootstrap: int = 1000, seed: int = 0) -> Dict[str, Any]:
    """Fits L(D) = E + B·D^(−β) to any (size, loss) data with the harness's fitter (Huber loss in
    log space, bootstrap 95% intervals): a dict with e, b, beta, their intervals and the flags
    that say what not to trust."""
    if len(sizes) != len(losses):
        raise NGramKitError(f"sizes and losses differ in length ({len(sizes)} and {len(losses)})")
    n = len(sizes)
    d = (ctypes.c_double * n)(*[float(x) for x in sizes])
    l = (ctypes.c_double * n)(*[float(x) for x in losses])
    out = ctypes.c_void_p()
    _native.check(_native.fit_scaling_law(d, l, n, bootstrap, seed, ctypes.byref(out)))
    return json.loads(_native.take_string(out.value))
