#!/usr/bin/env bash
# The Spark job (spark/ngramkit_spark.py) in local[2] beside `ngramkit build` on one machine, on the
# same text: wall time, shuffle bytes per token, per-stage times (from Spark's event log), the
# executors' peak memory, and whether the ARPA files are the same bytes.
#
# Usage: NGRAMKIT=.build/release/ngramkit SPARK_SUBMIT=venv/bin/spark-submit bash Benchmarks/spark/run.sh TEXT [ORDER] [PARTITIONS]
#   TEXT: plain text (default: gut60.txt of compare-kenlm.sh in NGRAMKIT_BENCH_DIR); ORDER 5; PARTITIONS 8.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ngramkit=${NGRAMKIT:-$root/.build/release/ngramkit}
submit=${SPARK_SUBMIT:-spark-submit}
bench=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
text=${1:-$bench/gut60.txt}; order=${2:-5}; partitions=${3:-8}
work=$bench/spark; rm -rf "$work"; mkdir -p "$work/events"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); text: $text, order $order, $partitions partitions"
/usr/bin/time -f "%e %M" -o "$work/one.time" "$ngramkit" build --order "$order" --text "$text" --arpa "$work/one.arpa" 2> "$work/one.log"
python_bin=$(dirname "$submit")/python
/usr/bin/time -f "%e %M" -o "$work/spark.time" env PYSPARK_PYTHON="$python_bin" "$submit" --master 'local[2]' \
    --conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false --conf "spark.eventLog.dir=file://$work/events" --conf spark.ui.showConsoleProgress=false \
    --driver-memory 2g --files "$ngramkit" "$root/spark/ngramkit_spark.py" --order "$order" --text "$text" \
    --counts "$work/spark.counts" --arpa "$work/spark.arpa" --partitions "$partitions" > "$work/spark.log" 2>&1
if cmp -s "$work/one.arpa" "$work/spark.arpa"; then same=yes; else same=NO; fi
tokens=$(awk '{n += NF + 1} END {print n}' "$text")
python3 - "$work" "$tokens" "$same" <<'PY'
import glob, json, sys
work, tokens, same = sys.argv[1], int(sys.argv[2]), sys.argv[3]
one_wall, one_rss = open(f"{work}/one.time").read().split()
spark_wall, spark_rss = open(f"{work}/spark.time").read().split()
shuffle_write = shuffle_read = 0
peak = 0
stages = {}
import os
for path in glob.glob(f"{work}/events/**/*", recursive=True):
    if not os.path.isfile(path):
        continue
    for line in open(path, errors="replace"):
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        kind = event.get("Event")
        if kind == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            shuffle_write += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
            shuffle_read += sum((metrics.get("Shuffle Read Metrics") or {}).get(k, 0) for k in ("Remote Bytes Read", "Local Bytes Read"))
            peak = max(peak, metrics.get("Peak Execution Memory", 0))
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            seconds = (info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000
            stages[f'{info["Stage ID"]}: {info["Stage Name"].split(" at ")[0]}'] = seconds
print(f"| run | wall s | peak RSS (process tree's largest) | shuffle written | shuffle bytes/token |")
print("|---|---|---|---|---|")
print(f"| `ngramkit build --order` (one machine) | {float(one_wall):.1f} | {int(one_rss)/1024:.0f} MiB | — | — |")
print(f"| Spark job, local[2] | {float(spark_wall):.1f} | {int(spark_rss)/1024:.0f} MiB (driver JVM) | {shuffle_write/1e6:.1f} MB | {shuffle_write/tokens:.2f} |")
print(f"tokens (with </s>): {tokens}; overhead ratio {float(spark_wall)/float(one_wall):.1f}; shuffle read {shuffle_read/1e6:.1f} MB; ARPA the same bytes: {same}")
print("stages: " + "; ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(stages.items(), key=lambda kv: int(kv[0].split(':')[0]))))
PY
