#!/usr/bin/env bash
# The Spark job (spark/ngramkit_spark.py) in local[2] beside `ngramkit build` on one machine, on the
# same text: wall time, shuffle bytes per token, per-stage times (from Spark's event log), the
# peak memory of the JVM and of the largest NGramKit task, and whether the ARPA files are the same bytes.
#
# Usage: NGRAMKIT=.build/release/ngramkit SPARK_SUBMIT=venv/bin/spark-submit bash Benchmarks/spark/run.sh TEXT [ORDER] [PARTITIONS] [REDUCERS] [FORMAT]
#   TEXT: plain text (default: gut60.txt of compare-kenlm.sh in NGRAMKIT_BENCH_DIR); ORDER 5; PARTITIONS 8;
#   REDUCERS (n-gram partitions): as many as PARTITIONS; FORMAT (where the ARPA text is formatted): driver or executors.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ngramkit=${NGRAMKIT:-$root/.build/release/ngramkit}
submit=${SPARK_SUBMIT:-spark-submit}
bench=${NGRAMKIT_BENCH_DIR:-/tmp/ngramkit-bench}
text=${1:-$bench/gut60.txt}; order=${2:-5}; partitions=${3:-8}; reducers=${4:-$partitions}; format=${5:-driver}
work=$bench/spark; rm -rf "$work"; mkdir -p "$work/events"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); text: $text, order $order, $partitions partitions, $reducers reducers, formatted on the $format"
/usr/bin/time -f "%e %M" -o "$work/one.time" "$ngramkit" build --order "$order" --text "$text" --arpa "$work/one.arpa" 2> "$work/one.log"
python_bin=$(dirname "$submit")/python
# The largest NGramKit task's peak memory (VmHWM), sampled while the job runs.
( peak=0; while :; do for pid in $(pgrep -x ngramkit); do
      kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0); [ "${kb:-0}" -gt "$peak" ] && peak=$kb && echo "$peak" > "$work/task.peak"
  done; sleep 0.2; done ) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
/usr/bin/time -f "%e %M" -o "$work/spark.time" env PYSPARK_PYTHON="$python_bin" "$submit" --master 'local[2]' \
    --conf spark.eventLog.enabled=true --conf spark.eventLog.compress=false --conf "spark.eventLog.dir=file://$work/events" --conf spark.ui.showConsoleProgress=false \
    --driver-memory 2g --files "$ngramkit" "$root/spark/ngramkit_spark.py" --order "$order" --text "$text" \
    --arpa "$work/spark.arpa" --partitions "$partitions" --reducers "$reducers" --format "$format" > "$work/spark.log" 2>&1
kill $sampler 2>/dev/null || true
if cmp -s "$work/one.arpa" "$work/spark.arpa"; then same=yes; else same=NO; fi
tokens=$(awk '{n += NF + 1} END {print n}' "$text")
python3 - "$work" "$tokens" "$same" <<'PY'
import glob, json, os, sys
work, tokens, same = sys.argv[1], int(sys.argv[2]), sys.argv[3]
one_wall, one_rss = open(f"{work}/one.time").read().split()
task_peak = int(open(f"{work}/task.peak").read()) if os.path.exists(f"{work}/task.peak") else 0
spark_wall, spark_rss = open(f"{work}/spark.time").read().split()
shuffle_write = shuffle_read = 0
peak = 0
stages = {}
stage_shuffle = {}
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
            written = (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
            shuffle_write += written
            stage_shuffle[event.get("Stage ID")] = stage_shuffle.get(event.get("Stage ID"), 0) + written
            shuffle_read += sum((metrics.get("Shuffle Read Metrics") or {}).get(k, 0) for k in ("Remote Bytes Read", "Local Bytes Read"))
            peak = max(peak, metrics.get("Peak Execution Memory", 0))
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            seconds = (info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000
            stages[f'{info["Stage ID"]}: {info["Stage Name"].split(" at ")[0]}'] = seconds
print(f"| run | wall s | peak RSS | shuffle written | shuffle bytes/token |")
print("|---|---|---|---|---|")
print(f"| `ngramkit build --order` (one machine) | {float(one_wall):.1f} | {int(one_rss)/1024:.0f} MiB | — | — |")
print(f"| Spark job, local[2] | {float(spark_wall):.1f} | {int(spark_rss)/1024:.0f} MiB (JVM); {task_peak/1024:.0f} MiB (largest NGramKit task) | {shuffle_write/1e6:.1f} MB | {shuffle_write/tokens:.2f} |")
print(f"tokens (with </s>): {tokens}; overhead ratio {float(spark_wall)/float(one_wall):.1f}; shuffle read {shuffle_read/1e6:.1f} MB; ARPA the same bytes: {same}")
def shuffled(name):
    written = stage_shuffle.get(int(name.split(":")[0]), 0)
    return f" (shuffle {written / 1e6:.1f} MB, {written / tokens:.2f} B/token)" if written else ""
print("stages: " + "; ".join(f"{name} {seconds:.1f} s{shuffled(name)}" for name, seconds in sorted(stages.items(), key=lambda kv: int(kv[0].split(':')[0]))))
PY
