"""NGramKit on Apache Spark: n-grams counted across a cluster, the model estimated by NGramKit.

    spark-submit --master MASTER --files .build/release/ngramkit spark/ngramkit_spark.py \\
        --order 5 --text INPUT --counts OUT.counts [--arpa OUT.arpa] [--binary OUT.bin] [--partitions P]

Stages:
  1. count (map): each partition of the text (line ranges, in file order) is counted by NGramKit's
     own binary on its executor (`ngramkit count --out -`, within `--memory`), giving its
     `ngram<TAB>count` lines and, for its words, the order in which they first appear there;
  2. reduce (shuffle): counts summed per n-gram, partitioned by a stable hash of the n-gram's
     UTF-8 bytes (CRC-32, never Python's `hash`, which changes between processes);
  3. vocabulary order (a small reduce): each word's first partition and position, so the words
     keep the order of their first appearance in the whole text, as a single machine counts them;
  4. the counts file (driver): the unigrams in that order, then every other n-gram, which
     `ngramkit build --counts` reads in any order;
  5. estimation (driver, optional): `ngramkit build --counts --tokenizer whitespace --smoothing S`,
     giving the ARPA file and binary model that `ngramkit build --text --smoothing S` gives, byte
     for byte.

Lines are split on "\\n" only (as NGramKit reads them; a "\\r" before it is dropped by NGramKit), so
a partition boundary never changes a sentence. A failing NGramKit call fails its task with NGramKit's
one-line error (Spark retries it, then the driver reports it); each task's temporary folder is
removed however it ends.
"""
import argparse
import os
import shutil
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


def count_partition(binary, order, memory):
    """A function counting one partition's lines with NGramKit: yields (ngram, count, partition,
    position) for every n-gram line, position being the line's index in its partition's output."""

    def run(index, lines):
        scratch = tempfile.mkdtemp(prefix="ngramkit-spark-")
        try:
            text = os.path.join(scratch, "part.txt")
            with open(text, "w", encoding="utf-8", newline="\n") as f:
                for line in lines:
                    f.write(line)
                    f.write("\n")
            arguments = [tool(binary), "count", "--order", str(order), "--text", text, "--out", "-", "--temp-dir", scratch]
            if memory:
                arguments += ["--memory", memory]
            process = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if process.returncode != 0:
                message = process.stderr.decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(f"partition {index}: {message[-1] if message else 'ngramkit count failed'}")
            for position, line in enumerate(process.stdout.decode("utf-8").splitlines()):
                ngram, _, count = line.rpartition("\t")
                yield ngram, int(count), index, position
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return run


def read_lines(sc, path, partitions):
    """The text's lines, split on "\\n" only, in file order, in about `partitions` partitions."""
    conf = {"textinputformat.record.delimiter": "\n"}
    if partitions:
        conf["mapreduce.input.fileinputformat.split.maxsize"] = str(max(1, os.path.getsize(path) // partitions + 1)) \
            if os.path.exists(path) else str(1 << 26)
    records = sc.newAPIHadoopFile(path, "org.apache.hadoop.mapreduce.lib.input.TextInputFormat",
                                  "org.apache.hadoop.io.LongWritable", "org.apache.hadoop.io.Text", conf=conf)
    return records.map(lambda record: record[1])


def run(arguments, sc=None):
    """Runs the job (see the module's comment); returns the number of n-grams counted and the
    text's partitions."""
    own = sc is None
    sc = sc or SparkContext(appName=f"ngramkit count order {arguments.order}")
    try:
        lines = read_lines(sc, arguments.text, arguments.partitions)
        partials = lines.mapPartitionsWithIndex(count_partition(arguments.ngramkit, arguments.order, arguments.memory)).cache()
        reducers = arguments.reducers or max(1, lines.getNumPartitions())
        # Stage 3: each word's first appearance (partition, position in that partition's lines).
        first = (partials.filter(lambda r: " " not in r[0])
                 .map(lambda r: (r[0], (r[2], r[3])))
                 .reduceByKey(min, numPartitions=reducers, partitionFunc=stable_partition)
                 .collect())
        words = [word for word, _ in sorted(first, key=lambda item: item[1])]
        # Stage 2: the counts summed per n-gram.
        # Kept on disk (not in the JVM heap): the unigrams are read from it once, every other n-gram once more.
        totals = partials.map(lambda r: (r[0], r[1])).reduceByKey(lambda a, b: a + b, numPartitions=reducers,
                                                                  partitionFunc=stable_partition)
        totals.persist(StorageLevel.DISK_ONLY)
        unigram_counts = dict(totals.filter(lambda kv: " " not in kv[0]).collect())
        # Stage 4: the counts file, complete or absent.
        target = os.path.abspath(arguments.counts)
        temporary = target + ".tmp-spark"
        written = 0
        text_partitions = lines.getNumPartitions()
        with open(temporary, "w", encoding="utf-8", newline="\n") as out:
            for word in words:
                out.write(f"{word}\t{unigram_counts[word]}\n")
                written += 1
            for ngram, total in totals.filter(lambda kv: " " in kv[0]).toLocalIterator():
                out.write(f"{ngram}\t{total}\n")
                written += 1
        os.replace(temporary, target)
        partials.unpersist()
        totals.unpersist()
        # Stage 5: estimation on the driver (with the shipped binary, while the context holds it).
        if arguments.arpa or arguments.binary:
            build = [tool(arguments.ngramkit), "build", "--order", str(arguments.order), "--counts", target,
                     "--tokenizer", "whitespace", "--smoothing", arguments.smoothing]
            if arguments.arpa:
                build += ["--arpa", arguments.arpa]
            if arguments.binary:
                build += ["--binary", arguments.binary]
            if arguments.memory:
                build += ["--memory", arguments.memory]
            process = subprocess.run(build, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if process.returncode != 0:
                message = process.stderr.decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(message[-1] if message else "ngramkit build failed")
    finally:
        if own:
            sc.stop()
    return written, text_partitions


def parser():
    p = argparse.ArgumentParser(description="NGramKit on Spark: count n-grams across the cluster, estimate with NGramKit.")
    p.add_argument("--order", type=int, default=5, help="Highest n-gram order (default 5).")
    p.add_argument("--text", required=True, help="The text, one sentence per line (plain text; a path Spark can read).")
    p.add_argument("--counts", required=True, help="Where to write the counts file (`ngramkit build --counts` reads it).")
    p.add_argument("--arpa", help="Also estimate the model (on the driver) and write it as ARPA here.")
    p.add_argument("--binary", help="Also estimate the model (on the driver) and write it in NGramKit's binary format here.")
    p.add_argument("--smoothing", default="kneser-ney",
                   help="The estimator `ngramkit build --smoothing` runs on the driver (default kneser-ney; stupid-backoff, katz, ...).")
    p.add_argument("--partitions", type=int, default=0, help="Partitions of the text (0: Spark's choice).")
    p.add_argument("--reducers", type=int, default=0, help="Partitions of the shuffle (0: as many as the text's).")
    p.add_argument("--memory", help="--memory for each NGramKit call (a task's budget), e.g. 1G.")
    p.add_argument("--ngramkit", help="The ngramkit binary on every machine (default: the one shipped with --files).")
    return p


if __name__ == "__main__":
    args = parser().parse_args()
    count, partitions = run(args)
    print(f"ngramkit-spark: {count} n-grams counted from {partitions} partitions into {args.counts}", file=sys.stderr)
