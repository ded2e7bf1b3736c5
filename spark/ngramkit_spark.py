"""NGramKit on Apache Spark: n-grams counted and the model estimated across a cluster, by NGramKit.

    spark-submit --master MASTER --files .build/release/ngramkit spark/ngramkit_spark.py \\
        --order 5 --text INPUT [--arpa OUT.arpa] [--binary OUT.bin] [--counts OUT.counts] \\
        [--partitions P] [--reducers R] [--ranges K] [--smoothing S]

The model (--arpa, --binary) is built by the stages of `ngramkit cluster` (see
Sources/NGramKit/Estimation/ClusterBuild.swift), which pass NGramKit's compact binary files, never
text:
  1. vocabulary (map over the text's line ranges): each part's words in order of first appearance;
  2. plan (driver): the words in the whole text's order (so word ids are one machine's), and the
     R partitions of the n-grams by their next-to-last word, balanced by the unigram counts;
  3. windows (map over the text again): the last N word ids up to every position, one section per
     partition;
  4. shuffle by partition, then count (reduce): each partition's raw and adjusted (Kneser-Ney)
     counts, complete there because an n-gram's left extensions, the other n-grams of its context
     and its suffixes share its next-to-last word; kept on the executors' disks;
  5. globals (driver): the one global reduce, of the partitions' counts-of-counts (the discounts)
     and the unigrams' continuation counts;
  6. estimate (map over the partitions): probabilities and backoffs, interpolated order by order,
     as runs in canonical order cut into ranges of first words; kept on the executors' disks;
  7. with --format executors, shuffle by range, then format (reduce): each range's ARPA lines of
     every order, merged from every partition's runs of that range;
  8. write (driver): the ARPA file and the binary model merged from every estimate (or the ranges'
     parts joined into the ARPA file, with --format executors): the bytes `ngramkit build --text`
     writes on one machine, for any number of parts, partitions and ranges.
Stupid Backoff (--smoothing stupid-backoff) and Kneser-Ney with one discount per order
(kneser-ney-original) run through the same stages; other methods are estimated on one machine
(count here with --counts, then `ngramkit build --counts`).

--counts writes a counts file (`ngramkit build --counts` reads it), by the count-only job: each part
counted by `ngramkit count --out -`, the n-gram lines summed in a shuffle partitioned by the CRC-32
of their UTF-8 bytes (never Python's `hash`), the words kept in order of first appearance.

Lines are split on "\\n" only (as NGramKit reads them; a "\\r" before it is dropped by NGramKit), so
a part boundary never changes a sentence. A failing NGramKit call fails its task with NGramKit's
one-line error (Spark retries it, then the driver reports it); each task's temporary folder is
removed however it ends. Progress is Spark's: its UI and log name each stage.
"""
import argparse
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

from pyspark import SparkContext, SparkFiles, StorageLevel


def stable_partition(key: str) -> int:
    """The partition hash of an n-gram: CRC-32 of its UTF-8 bytes (the same in every process)."""
    return zlib.crc32(key.encode("utf-8"))


def tool(explicit):
    """The ngramkit binary: --ngramkit, or the one shipped with --files."""
    if explicit:
        return explicit
    shipped = SparkFiles.get("ngramkit")
    if not os.path.exists(shipped):
        raise RuntimeError("ngramkit: no binary; pass --files PATH/ngramkit to spark-submit or --ngramkit PATH")
    if not os.access(shipped, os.X_OK):
        os.chmod(shipped, 0o755)
    return shipped


def call(arguments, what):
    """Runs an ngramkit command; raises with NGramKit's one-line error when it fails."""
    process = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if process.returncode != 0:
        message = process.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{what}: {message[-1] if message else 'ngramkit failed'}")
    return process


def write_lines(records, path):
    """Writes a text part to `path`: its lines (str, from Hadoop), or its byte range of a file every
    executor reads ((file, start, end), read here: the bytes as they are)."""
    with open(path, "wb") as out:
        for record in records:
            if isinstance(record, tuple):
                copy_lines(*record, out)
            else:
                out.write(record.encode("utf-8"))
                out.write(b"\n")


def copy_lines(path, start, end, out):
    """Copies the lines of `path` that start in [start, end) to `out` (Hadoop's rule: a line that
    crosses `end` is read whole here, and skipped by the part that starts inside it)."""
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()
        position = f.tell()
        while position < end:
            chunk = f.read(min(1 << 20, end - position))
            if not chunk:
                return
            out.write(chunk)
            position += len(chunk)
        if position == end and end > 0:
            f.seek(end - 1)
            if f.read(1) != b"\n":
                out.write(f.readline())


def count_partition(binary, order, memory):
    """A function counting one partition's lines with NGramKit: yields (ngram, count, partition,
    position) for every n-gram line, position being the line's index in its partition's output."""

    def run(index, lines):
        with scratch_folder() as scratch:
            text = os.path.join(scratch, "part.txt")
            write_lines(lines, text)
            arguments = [tool(binary), "count", "--order", str(order), "--text", text, "--out", "-", "--temp-dir", scratch]
            if memory:
                arguments += ["--memory", memory]
            process = call(arguments, f"partition {index}")
            for position, line in enumerate(process.stdout.decode("utf-8").splitlines()):
                ngram, _, count = line.rpartition("\t")
                yield ngram, int(count), index, position

    return run


def read_lines(sc, path, partitions):
    """The text's parts, in file order, in about `partitions` partitions (Spark's default
    parallelism when 0). A plain file the driver sees (a path without a scheme, or file://) is cut
    into byte ranges at line starts, which each task reads itself: the executors must see it too
    (one machine, or a shared file system), and its bytes reach NGramKit as they are. A gzip file
    is one part (NGramKit decompresses it). Anything else (hdfs://, s3a://) is read by Hadoop,
    lines split on "\\n" only, handed to Python decoded as UTF-8 (a byte that is not UTF-8 becomes
    U+FFFD)."""
    local = path[len("file://"):] if path.startswith("file://") else path
    if "://" not in local:
        if not os.path.isfile(local):
            raise RuntimeError(f"{path}: no such file (a path every executor can read, or an hdfs:// or s3a:// URL)")
        local = os.path.abspath(local)
        size = os.path.getsize(local)
        with open(local, "rb") as f:
            gzip = f.read(2) == b"\x1f\x8b"
        count = 1 if gzip or size == 0 else max(1, min(partitions or sc.defaultParallelism, size))
        ranges = [(local, size * i // count, size * (i + 1) // count) for i in range(count)]
        return sc.parallelize(ranges, count)
    conf = {"textinputformat.record.delimiter": "\n"}
    if partitions:
        conf["mapreduce.input.fileinputformat.split.maxsize"] = str(max(1, os.path.getsize(path) // partitions + 1)) \
            if os.path.exists(path) else str(1 << 26)
    records = sc.newAPIHadoopFile(path, "org.apache.hadoop.mapreduce.lib.input.TextInputFormat",
                                  "org.apache.hadoop.io.LongWritable", "org.apache.hadoop.io.Text", conf=conf)
    return records.map(lambda record: record[1])


@contextlib.contextmanager
def scratch_folder():
    """A task's temporary folder, removed however the task ends."""
    folder = tempfile.mkdtemp(prefix="ngramkit-spark-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage(arguments, what, out):
    """Runs one `ngramkit cluster` stage that writes `out`; returns out's bytes."""
    call(arguments, what)
    with open(out, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def save_shuffled(records, index, scratch, name):
    """Writes the files a shuffle sent task `index` ((key, bytes), every key `index`) into
    `scratch`; returns their paths."""
    files = []
    for i, (key, data) in enumerate(records):
        if key != index:
            raise RuntimeError(f"the shuffle sent key {key}'s {name} files to task {index}")
        files.append(os.path.join(scratch, f"{name}.{i}"))
        write_bytes(files[-1], data)
    return files


def vocabulary_stage(binary, tokenizer):
    """Stage 1 on a text part: yields (part, vocabulary file bytes)."""

    def run(index, lines):
        with scratch_folder() as scratch:
            text = os.path.join(scratch, "part.txt")
            write_lines(lines, text)
            out = os.path.join(scratch, "vocabulary")
            yield index, stage([tool(binary), "cluster", "vocabulary", "--text", text, "--out", out, "--temp-dir", scratch] + tokenizer,
                               f"text part {index}", out)

    return run


def windows_sections(data):
    """The sections of a windows file (see `ngramkit cluster windows --help`): (partition, bytes)."""
    magic, kind, header = struct.unpack_from("<8sBQ", data, 0)
    if magic != b"NGKCLUS1" or kind != 3:
        raise RuntimeError("ngramkit cluster windows wrote something else than a windows file")
    count, = struct.unpack_from("<I", data, 17)
    lengths = struct.unpack_from(f"<{count}Q", data, 21)
    offset = 17 + header
    for partition, length in enumerate(lengths):
        if length:
            yield partition, data[offset:offset + length]
        offset += length


def windows_stage(binary, plan):
    """Stage 3 on a text part: yields (partition, its windows) for every partition it has windows of."""

    def run(index, lines):
        with scratch_folder() as scratch:
            text = os.path.join(scratch, "part.txt")
            write_lines(lines, text)
            out = os.path.join(scratch, "windows")
            yield from windows_sections(stage([tool(binary), "cluster", "windows", "--plan", SparkFiles.get(plan), "--text", text,
                                               "--out", out, "--temp-dir", scratch], f"text part {index}", out))

    return run


def count_stage(binary, plan):
    """Stage 4 on a partition (its windows from every text part): yields (partition, counts file,
    summary file)."""

    def run(index, records):
        with scratch_folder() as scratch:
            files = save_shuffled(((partition, blob) for partition, blob in records), index, scratch, "windows")
            counts, summary = os.path.join(scratch, "counts"), os.path.join(scratch, "summary")
            call([tool(binary), "cluster", "count", "--plan", SparkFiles.get(plan), "--partition", str(index),
                  "--out", counts, "--summary", summary, "--temp-dir", scratch] + (["--windows"] + files if files else []),
                 f"partition {index}")
            with open(counts, "rb") as c, open(summary, "rb") as s:
                yield index, c.read(), s.read()

    return run


def estimate_stage(binary, globals_file, ranges):
    """Stage 6 on a partition's counts: yields (range, (partition, estimate file)) for every range
    of first words."""

    def run(records):
        for index, data in records:
            with scratch_folder() as scratch:
                counts, out = os.path.join(scratch, "counts"), os.path.join(scratch, "estimate")
                write_bytes(counts, data)
                call([tool(binary), "cluster", "estimate", "--globals", SparkFiles.get(globals_file), "--counts", counts,
                      "--ranges", str(ranges), "--out", out, "--temp-dir", scratch], f"partition {index}")
                for k in range(ranges):
                    with open(f"{out}.{k}", "rb") as f:
                        yield k, (index, f.read())

    return run


def format_stage(binary, globals_file):
    """Stage 7 on a range of first words (its estimate from every partition): yields (range, part file)."""

    def run(index, records):
        with scratch_folder() as scratch:
            files = save_shuffled(((k, data) for k, (_, data) in records), index, scratch, "estimate")
            out = os.path.join(scratch, "part")
            yield index, stage([tool(binary), "cluster", "format", "--globals", SparkFiles.get(globals_file), "--range", str(index),
                                "--out", out, "--temp-dir", scratch, "--estimates"] + files, f"range {index}", out)

    return run


def shape(files):
    """Computes (and keeps, when persisted) an RDD of (key, bytes): returns (partition, key, size)
    for every record."""
    return files.mapPartitionsWithIndex(lambda index, records: [(index, key, len(data)) for key, data in records]).collect()


def to_driver(files, layout, count, chunk):
    """Brings files to the driver, in pieces of at most `chunk` bytes where a partition holds more:
    `files` holds (key, bytes) with keys 0...count-1, each once, laid out as `layout` (from
    `shape`) says. Yields (key, piece): a key's pieces one after another. toLocalIterator takes a
    partition at a time and the driver's JVM holds it whole, so larger partitions are cut into
    pieces, spread one per partition by a shuffle."""
    totals = {}
    for index, _, size in layout:
        totals[index] = totals.get(index, 0) + size
    if max(totals.values(), default=0) <= chunk:
        yield from files.toLocalIterator(prefetchPartitions=True)
        return
    sizes = {key: size for _, key, size in layout}
    first, total = [], 0
    for key in range(count):
        first.append(total)
        total += max(1, -(-sizes.get(key, 0) // chunk))
    offsets = files.context.broadcast(first)

    def pieces(kv):
        key, data = kv
        for i in range(max(1, -(-len(data) // chunk))):
            yield (key, i), data[i * chunk:(i + 1) * chunk]

    spread = files.flatMap(pieces).partitionBy(max(1, total), lambda key: offsets.value[key[0]] + key[1])
    for (key, _), data in spread.toLocalIterator(prefetchPartitions=True):
        yield key, data


def build_model(sc, arguments, lines):
    """The model through the stages of `ngramkit cluster`; returns the number of partitions."""
    binary = arguments.ngramkit
    driver = tempfile.mkdtemp(prefix="ngramkit-spark-driver-")
    name = os.path.basename(driver)
    tokenizer = ["--tokenizer", arguments.tokenizer] if arguments.tokenizer else []
    reducers = arguments.reducers or max(1, lines.getNumPartitions())
    counted = None
    try:
        sc.setJobGroup(name, "ngramkit: vocabulary")
        vocabularies = []
        for index, data in sorted(lines.mapPartitionsWithIndex(vocabulary_stage(binary, tokenizer)).collect()):
            vocabularies.append(os.path.join(driver, f"vocabulary.{index}"))
            write_bytes(vocabularies[-1], data)
        plan = os.path.join(driver, f"{name}.plan")
        call([tool(binary), "cluster", "plan", "--order", str(arguments.order), "--partitions", str(reducers), "--out", plan,
              "--temp-dir", driver, "--vocabularies"] + vocabularies
             + (["--memory", arguments.memory] if arguments.memory else []), "plan")
        sc.addFile(plan)
        sc.setJobGroup(name, "ngramkit: windows, shuffle by next-to-last word, count")
        windows = lines.mapPartitionsWithIndex(windows_stage(binary, os.path.basename(plan)))
        counted = (windows.partitionBy(reducers, lambda partition: partition)
                   .mapPartitionsWithIndex(count_stage(binary, os.path.basename(plan)), preservesPartitioning=True))
        # On the executors' disks: read once for the summaries and once more by the estimates.
        counted.persist(StorageLevel.DISK_ONLY)
        summaries = []
        for index, summary in sorted(counted.map(lambda r: (r[0], r[2])).collect()):
            summaries.append(os.path.join(driver, f"summary.{index}"))
            write_bytes(summaries[-1], summary)
        globals_file = os.path.join(driver, f"{name}.globals")
        smoothing = ["--smoothing", arguments.smoothing] + (["--alpha", str(arguments.alpha)] if arguments.alpha else [])
        ngrams = sum(int(value) for value in call([tool(binary), "cluster", "globals", "--plan", plan, "--out", globals_file,
                                                "--temp-dir", driver] + smoothing + ["--summaries"] + summaries,
                                               "globals").stdout.split())
        sc.addFile(globals_file)
        sc.setJobGroup(name, "ngramkit: estimate")
        # The executors format the ARPA text a range of first words at a time; the driver needs no ranges.
        ranges = arguments.ranges or (reducers if arguments.arpa and arguments.format == "executors" else 1)
        # Estimated on every executor at once and kept on their disks, each partition's runs cut
        # into ranges of first words.
        estimated = counted.map(lambda r: (r[0], r[1])).mapPartitions(estimate_stage(binary, os.path.basename(globals_file), ranges))
        estimated.persist(StorageLevel.DISK_ONLY)
        estimated_layout = estimated.mapPartitionsWithIndex(
            lambda index, records: [(index, key, partition, len(data)) for key, (partition, data) in records]).collect()
        counted.unpersist()
        counted = estimated
        write = [tool(binary), "cluster", "write", "--globals", globals_file, "--temp-dir", driver]
        if arguments.arpa and arguments.format == "executors":
            # The ARPA text formatted a range at a time on the executors; the driver joins the parts.
            sc.setJobGroup(name, "ngramkit: shuffle by range of first words, format")
            formatted = estimated.partitionBy(ranges, lambda k: k).mapPartitionsWithIndex(
                format_stage(binary, os.path.basename(globals_file)), preservesPartitioning=True)
            formatted.persist(StorageLevel.DISK_ONLY)
            try:
                layout = shape(formatted)
                sc.setJobGroup(name, "ngramkit: parts to the driver")
                parts = [os.path.join(driver, f"part.{k}") for k in range(ranges)]
                for k, data in to_driver(formatted, layout, ranges, arguments.result_bytes):
                    with open(parts[k], "ab") as f:
                        f.write(data)
            finally:
                formatted.unpersist()
            write += ["--arpa", arguments.arpa, "--parts"] + parts
        if arguments.binary or (arguments.arpa and arguments.format == "driver"):
            # Merged on the driver from every estimate: the binary model, and the ARPA file unless
            # the executors formatted it.
            sc.setJobGroup(name, "ngramkit: estimates to the driver")
            estimates = [os.path.join(driver, f"estimate.{p}.{k}") for p in range(reducers) for k in range(ranges)]
            pieces = estimated.map(lambda kv: (kv[1][0] * ranges + kv[0], kv[1][1]))
            layout = [(index, partition * ranges + k, size) for index, k, partition, size in estimated_layout]
            for key, data in to_driver(pieces, layout, reducers * ranges, arguments.result_bytes):
                with open(estimates[key], "ab") as f:
                    f.write(data)
            if arguments.binary:
                write += ["--binary", arguments.binary]
            if arguments.arpa and arguments.format == "driver":
                write += ["--arpa", arguments.arpa]
            write += ["--estimates"] + estimates
        estimated.unpersist()
        counted = None
        if arguments.memory:
            write += ["--memory", arguments.memory]
        call(write, "write")
        return reducers, ranges, ngrams
    finally:
        if counted is not None:
            counted.unpersist()
        shutil.rmtree(driver, ignore_errors=True)


def count_job(sc, arguments, lines):
    """The count-only job: writes the counts file; returns the number of n-grams written."""
    partials = lines.mapPartitionsWithIndex(count_partition(arguments.ngramkit, arguments.order, arguments.memory)).cache()
    reducers = arguments.reducers or max(1, lines.getNumPartitions())
    # Each word's first appearance (partition, position in that partition's lines).
    first = (partials.filter(lambda r: " " not in r[0])
             .map(lambda r: (r[0], (r[2], r[3])))
             .reduceByKey(min, numPartitions=reducers, partitionFunc=stable_partition)
             .collect())
    words = [word for word, _ in sorted(first, key=lambda item: item[1])]
    # The counts summed per n-gram, kept on disk (not in the JVM heap): the unigrams are read from
    # it once, every other n-gram once more.
    totals = partials.map(lambda r: (r[0], r[1])).reduceByKey(lambda a, b: a + b, numPartitions=reducers,
                                                              partitionFunc=stable_partition)
    totals.persist(StorageLevel.DISK_ONLY)
    unigram_counts = dict(totals.filter(lambda kv: " " not in kv[0]).collect())
    # The counts file, complete or absent.
    target = os.path.abspath(arguments.counts)
    temporary = target + ".tmp-spark"
    written = 0
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as out:
            for word in words:
                out.write(f"{word}\t{unigram_counts[word]}\n")
                written += 1
            for ngram, total in totals.filter(lambda kv: " " in kv[0]).toLocalIterator():
                out.write(f"{ngram}\t{total}\n")
                written += 1
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
        partials.unpersist()
        totals.unpersist()
    return written


def run(arguments, sc=None):
    """Runs the job (see the module's comment); returns a one-line report."""
    own = sc is None
    sc = sc or SparkContext(appName=f"ngramkit order {arguments.order}")
    try:
        lines = read_lines(sc, arguments.text, arguments.partitions)
        reports = []
        if arguments.counts:
            written = count_job(sc, arguments, lines)
            reports.append(f"{written} n-grams counted into {arguments.counts}")
        if arguments.arpa or arguments.binary:
            reducers, ranges, ngrams = build_model(sc, arguments, lines)
            outputs = " and ".join(path for path in (arguments.arpa, arguments.binary) if path)
            reports.append(f"model of {ngrams} n-grams written to {outputs} through {reducers} n-gram partitions and {ranges} ranges")
        return f"{'; '.join(reports)}, from {lines.getNumPartitions()} partitions of the text"
    finally:
        if own:
            sc.stop()


def parser():
    p = argparse.ArgumentParser(description="NGramKit on Spark: count n-grams and estimate the model across the cluster.")
    p.add_argument("--order", type=int, default=5, help="Highest n-gram order, 2 or more for a model (default 5).")
    p.add_argument("--text", required=True, help="The text, one sentence per line (plain text; a path Spark can read).")
    p.add_argument("--arpa", help="Write the model as ARPA here (estimated across the cluster).")
    p.add_argument("--binary", help="Write the model in NGramKit's binary format here (estimated across the cluster).")
    p.add_argument("--counts", help="Write a counts file here (`ngramkit build --counts` reads it), by the count-only job.")
    p.add_argument("--smoothing", default="kneser-ney",
                   help="kneser-ney (default), kneser-ney-original or stupid-backoff; other methods: --counts, then `ngramkit build --counts`.")
    p.add_argument("--alpha", type=float, help="Stupid Backoff's alpha (default: ngramkit's, 0.4).")
    p.add_argument("--tokenizer", help="ngramkit's --tokenizer for the text (default: whitespace, as `ngramkit build`).")
    p.add_argument("--partitions", type=int, default=0, help="Parts of the text (0: Spark's choice).")
    p.add_argument("--reducers", type=int, default=0,
                   help="Partitions of the n-grams, the tasks of the count and estimate stages (0: as many as the text's parts).")
    p.add_argument("--ranges", type=int, default=0,
                   help="Ranges of first words, the tasks that format the ARPA text with --format executors (0: as many as "
                        "--reducers; 1 with --format driver).")
    p.add_argument("--format", choices=["driver", "executors"], default="driver",
                   help="Where the ARPA text is formatted: driver (default: merged from the estimates there, in the same pass as "
                        "the binary model) or executors (a task per range of first words; the driver joins the parts).")
    p.add_argument("--result-bytes", type=int, default=64 << 20,
                   help="The most bytes a task hands the driver at once, as the parts and estimates reach it: the driver's JVM "
                        "holds a task's result whole, more than once while it reads it (default 64 MiB, for Spark's default 1 GiB driver).")
    p.add_argument("--memory", help="A task's memory budget, e.g. 1G: the plan refuses partitions that would not fit (raise --reducers).")
    p.add_argument("--ngramkit", help="The ngramkit binary on every machine (default: the one shipped with --files).")
    return p


if __name__ == "__main__":
    # A terminated driver still runs its `finally` blocks: its temporary folder goes, Spark stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parser().parse_args()
    if not (args.arpa or args.binary or args.counts):
        parser().error("give --arpa, --binary or --counts: what to write")
    print(f"ngramkit-spark: {run(args)}", file=sys.stderr)
