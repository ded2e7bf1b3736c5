"""The Spark job against `ngramkit build` on one machine: the same ARPA file and binary model, byte
for byte, in local[2] for any number of partitions, on a standalone cluster of a master and two
workers started here, also when a worker is killed in the middle of the job; and a failing
NGramKit call reported in the driver's output as NGramKit's one-line error."""
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("NGRAMKIT_SHARED", ROOT.parent / "shared"))
NGRAMKIT = os.environ.get("NGRAMKIT_SPARK_TOOL", str(ROOT / ".build" / "release" / "ngramkit"))
JOB = ROOT / "spark" / "ngramkit_spark.py"
BIN = Path(sys.executable).parent


def spark_home() -> str:
    import pyspark
    return os.path.dirname(pyspark.__file__)


def environment():
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env["SPARK_HOME"] = spark_home()
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


@pytest.fixture(scope="module")
def ptb(tmp_path_factory):
    """PTB's training text, plain, and the one-machine model of orders 3 and 5."""
    folder = tmp_path_factory.mktemp("ptb")
    text = folder / "ptb.train.txt"
    with gzip.open(SHARED / "corpora" / "ptb" / "ptb.train.txt.gz", "rb") as f, open(text, "wb") as out:
        shutil.copyfileobj(f, out)
    for order in (3, 5):
        subprocess.run([NGRAMKIT, "build", "--order", str(order), "--text", str(text), "--arpa", str(folder / f"one.o{order}.arpa"),
                        "--binary", str(folder / f"one.o{order}.bin")], check=True, stderr=subprocess.DEVNULL)
    return folder


def submit(master, text, folder, order, partitions, extra=(), background=False, outputs=None):
    if outputs is None:
        outputs = ["--arpa", str(folder / "spark.arpa"), "--binary", str(folder / "spark.bin")]
    arguments = [str(BIN / "spark-submit"), "--master", master, "--files", NGRAMKIT,
                 "--conf", "spark.ui.showConsoleProgress=false", str(JOB), "--order", str(order), "--text", str(text),
                 "--partitions", str(partitions)] + outputs + list(extra)
    if background:
        return subprocess.Popen(arguments, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return subprocess.run(arguments, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def same_model(folder, ptb, order):
    return ((folder / "spark.arpa").read_bytes() == (ptb / f"one.o{order}.arpa").read_bytes()
            and (folder / "spark.bin").read_bytes() == (ptb / f"one.o{order}.bin").read_bytes())


@pytest.mark.parametrize("partitions,reducers,ranges,chunk,where", [(1, 1, 1, 64 << 20, "driver"), (5, 3, 4, 64 << 20, "executors"),
                                                                    (2, 7, 2, 1 << 20, "executors"), (3, 2, 1, 1 << 20, "driver")])
def test_local(ptb, tmp_path, partitions, reducers, ranges, chunk, where):
    """Counted, estimated and formatted through the cluster stages: the model of one machine for
    any number of text parts, n-gram partitions and ranges of first words, the ARPA text formatted
    on the driver or the executors, however the parts and estimates are cut to reach the driver."""
    run = submit("local[2]", ptb / "ptb.train.txt", tmp_path, 3, partitions,
                 extra=["--reducers", str(reducers), "--ranges", str(ranges), "--result-bytes", str(chunk), "--format", where])
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert f"through {reducers} n-gram partitions and {ranges} ranges, from {partitions} partitions of the text" in run.stdout.decode()
    assert same_model(tmp_path, ptb, 3)


def test_counts_only(ptb, tmp_path):
    """The count-only job: a counts file from which `ngramkit build --counts` gives the model of
    one machine."""
    run = submit("local[2]", ptb / "ptb.train.txt", tmp_path, 3, 3, outputs=["--counts", str(tmp_path / "spark.counts")])
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    subprocess.run([NGRAMKIT, "build", "--order", "3", "--counts", str(tmp_path / "spark.counts"), "--tokenizer", "whitespace",
                    "--arpa", str(tmp_path / "spark.arpa"), "--binary", str(tmp_path / "spark.bin")], check=True,
                   stderr=subprocess.DEVNULL)
    assert same_model(tmp_path, ptb, 3)


def test_bytes_as_they_are(tmp_path):
    """A plain file is read by byte ranges, not decoded: bytes that are not UTF-8, CR LF endings and
    a last line without a newline reach NGramKit as they are, and the model is one machine's."""
    text = tmp_path / "odd.txt"
    lines = [b"a b\xff c", b"b c d\r", b"", b"\xfe\xfe a b"] * 300 + [b"a c"]
    text.write_bytes(b"\n".join(lines))
    one = tmp_path / "one"
    one.mkdir()
    subprocess.run([NGRAMKIT, "build", "--order", "3", "--text", str(text), "--arpa", str(one / "one.o3.arpa"),
                    "--binary", str(one / "one.o3.bin")], check=True, stderr=subprocess.DEVNULL)
    spark = tmp_path / "spark"
    spark.mkdir()
    run = submit("local[2]", text, spark, 3, 7)
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert same_model(spark, one, 3)


def test_stupid_backoff(ptb, tmp_path):
    """Stupid Backoff through the same stages: the same bytes as on one machine."""
    one = tmp_path / "one.arpa"
    subprocess.run([NGRAMKIT, "build", "--order", "3", "--smoothing", "stupid-backoff", "--text", str(ptb / "ptb.train.txt"),
                    "--arpa", str(one)], check=True, stderr=subprocess.DEVNULL)
    run = submit("local[2]", ptb / "ptb.train.txt", tmp_path, 3, 3, extra=["--smoothing", "stupid-backoff"])
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert (tmp_path / "spark.arpa").read_bytes() == one.read_bytes()


def test_failure_is_reported(ptb, tmp_path):
    """A task's NGramKit error (here a tokenizer the tool does not know, refused on the executors)
    reaches the driver's output, and no model is written."""
    run = submit("local[2]", ptb / "ptb.train.txt", tmp_path, 3, 2, extra=["--tokenizer", "bogus"])  # local mode tries a task once
    assert run.returncode != 0
    assert "text part 0: " in run.stdout.decode() and "bogus" in run.stdout.decode()
    assert not list(tmp_path.iterdir())


def test_memory_refused(ptb, tmp_path):
    """--memory per task: a plan whose largest partition would not fit is refused, saying how many
    partitions would."""
    run = submit("local[2]", ptb / "ptb.train.txt", tmp_path, 5, 2, extra=["--memory", "40M"])
    assert run.returncode != 0
    assert "plan: ngramkit: invalid value '2' for --partitions: expected at least" in run.stdout.decode()
    assert not list(tmp_path.iterdir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A standalone cluster on this machine: a master and two one-core workers, each worker in a
    process group of its own (its executors are its children), so killing the group kills both."""

    def __init__(self, folder):
        self.folder = folder
        self.port, self.ui = free_port(), free_port()
        self.master_url = f"spark://127.0.0.1:{self.port}"
        self.processes = []
        klass = os.path.join(spark_home(), "bin", "spark-class")
        self.master = self.start([klass, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--webui-port", str(self.ui)], "master")
        self.wait_for(f"{self.port}")
        self.workers = [self.start([klass, "org.apache.spark.deploy.worker.Worker", self.master_url, "--host", "127.0.0.1",
                                    "--cores", "1", "--memory", "1G", "--webui-port", str(free_port()),
                                    "--work-dir", str(folder / f"work{i}")], f"worker{i}") for i in range(2)]
        self.wait_for_workers(2)

    def start(self, command, name):
        log = open(self.folder / f"{name}.log", "wb")
        process = subprocess.Popen(command, env=environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def wait_for(self, port_text):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the Spark master did not start: " + (self.folder / "master.log").read_text(errors="replace")[-2000:])

    def alive_workers(self) -> int:
        import json
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=5) as response:
            state = json.load(response)
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def wait_for_workers(self, count):
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if self.alive_workers() >= count:
                    return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError("the Spark workers did not register")

    def kill(self, process):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self):
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    cluster = Cluster(folder)
    yield cluster
    cluster.stop()


def test_standalone_cluster(cluster, ptb, tmp_path):
    run = submit(cluster.master_url, ptb / "ptb.train.txt", tmp_path, 5, 6)
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert same_model(tmp_path, ptb, 5)


def test_worker_killed_mid_job(cluster, ptb, tmp_path):
    """A worker (and its executor) killed while the counting tasks run: Spark runs the lost tasks
    again on the other worker, and the model is still the same bytes."""
    job = submit(cluster.master_url, ptb / "ptb.train.txt", tmp_path, 5, 24, background=True)
    # Wait until the job's tasks run on both workers (an executor per worker), then kill one.
    deadline = time.time() + 120
    executors = []
    while time.time() < deadline and job.poll() is None:
        executors = list(cluster.folder.glob("work*/app-*/*/stderr"))
        if len({p.parts[-4] for p in executors}) >= 2 and any("Running task" in p.read_text(errors="replace") for p in executors):
            break
        time.sleep(0.5)
    assert job.poll() is None, "the job ended before a worker could be killed"
    cluster.kill(cluster.workers[0])
    output, _ = job.communicate(timeout=600)
    text = output.decode(errors="replace")
    assert job.returncode == 0, text[-3000:]
    assert same_model(tmp_path, ptb, 5)
    assert "lost" in text.lower() or "removed" in text.lower() or "failed" in text.lower(), "no sign of the lost worker in the driver's log"
