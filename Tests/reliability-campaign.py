#!/usr/bin/env python3
"""A seeded reliability campaign against the built `ngramkit`, beyond the readers that
`swift test --filter MutationTests` mutates (run that too, with NGRAMKIT_MUTATION_SEED and
NGRAMKIT_MUTATION_CASES): random option values and combinations, signals at random moments of a
build, a full disk, and concurrent writers to one path.

Every case must end in success, or in one line on stderr starting `ngramkit:` with exit status 1
(the job failed) or 64 (the command line was refused), or in exit 128 + signal for
SIGINT/SIGTERM/SIGHUP; never a trap (a signal of its own, exit 132-139), a hang, a file left behind
in the working folder, or a damaged output (an output is either what it was or complete).

usage: python3 Tests/reliability-campaign.py [--seed N] [--cases N] [--binary PATH] [--shared DIR]
  --seed     the campaign (default 20261203)
  --cases    option cases (default 600); the signal, disk and concurrency parts scale with it
  --binary   the tool (default .build/release/ngramkit)
  --shared   the shared corpora (default ../shared)
The full-disk part mounts a 2 MB tmpfs and needs root; it is skipped otherwise.
"""
import argparse, gzip, os, random, shutil, signal, subprocess, sys, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=20261203)
parser.add_argument("--cases", type=int, default=600)
parser.add_argument("--binary", default=".build/release/ngramkit")
parser.add_argument("--shared", default="../shared")
args = parser.parse_args()
tool = os.path.realpath(args.binary)
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="ngk-campaign-")
problems = []
counts = {"ok": 0, "error": 0, "signalled": 0, "full disk": 0, "concurrency": 0}


def problem(label, text):
    problems.append(f"{label}: {text}")
    print(f"PROBLEM {label}: {text}", file=sys.stderr)


def run(arguments, label, cwd, timeout=30, stdin=subprocess.DEVNULL, expect_signal=None):
    try:
        p = subprocess.run([tool] + arguments, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        problem(label, f"hang (> {timeout} s): {arguments}")
        return None
    err = p.stderr.decode("utf-8", "replace")
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("ngramkit: warning")
             and not l.startswith("warning:") and not l.startswith("ngramkit: note:")]
    if p.returncode < 0 or p.returncode >= 128:
        problem(label, f"exit {p.returncode} (trap or signal): {arguments} {err[-300:]}")
    elif p.returncode == 0:
        counts["ok"] += 1
    elif p.returncode in (1, 64):
        # 1: an error of the job; 64 (EX_USAGE): the command line itself. Both: one line.
        counts["error"] += 1
        if not (len(lines) == 1 and lines[0].startswith("ngramkit: ")):
            problem(label, f"not one line: {arguments} {err[-400:]!r}")
        elif "Missing value for" in lines[0] and any(a.startswith("-") and a[1:2].isdigit() or a.lower() in ("-inf", "-nan") for a in arguments):
            problem(label, f"a negative number read as a missing value: {arguments} {lines[0]}")
    else:
        problem(label, f"unexpected exit {p.returncode}: {arguments} {err[-300:]}")
    return p


def leftovers(folder, allowed):
    return sorted(set(os.listdir(folder)) - set(allowed))


# --- inputs -------------------------------------------------------------------------------------
with gzip.open(os.path.join(args.shared, "fixtures/kenlm/brown.test1k.txt.gz"), "rt") as f:
    lines = f.read().splitlines()
train = os.path.join(work, "train.txt")
with open(train, "w") as f:
    f.write("\n".join(lines[:400]) + "\n")
score = os.path.join(work, "score.txt")
with open(score, "w") as f:
    f.write("\n".join(lines[400:450]) + "\n")
arpa, binary, counts_file = (os.path.join(work, n) for n in ("m.arpa", "m.bin", "m.counts"))
for a in (["build", "--order", "3", "--text", train, "--arpa", arpa, "--binary", binary],
          ["count", "--order", "3", "--text", train, "--out", counts_file]):
    subprocess.run([tool] + a, check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
inputs = {"train.txt", "score.txt", "m.arpa", "m.bin", "m.counts"}
pristine = {n: open(os.path.join(work, n), "rb").read() for n in inputs}

# --- 1. options ----------------------------------------------------------------------------------
bad_numbers = ["-1", "0", "1", "2", "3", "7", "61", "1000", "1099511627776", "9223372036854775807",
               "18446744073709551616", "-9223372036854775808", "inf", "-inf", "nan", "1e400", "1e-400",
               "1.0000001", "0.5", "", " ", "1,000", "0x10", "abc", "10k", "1e400k", "5M", "-3"]
options = {
    "build": [["--order", "N"], ["--threads", "N"], ["--alpha", "N"], ["--min-count", "N"], ["--max-vocab", "N"],
              ["--discount-fallback", "N", "N", "N"], ["--smoothing", "W"], ["--tokenizer", "W"], ["--json"],
              ["--unigram-add-one"], ["--arpa", "OUT"], ["--binary", "OUT"], ["--text", "IN"], ["--counts", "IN"],
              ["--vocab", "IN"]],
    "count": [["--order", "N"], ["--threads", "N"], ["--json"], ["--out", "OUT"], ["--text", "IN"], ["--tokenizer", "W"]],
    "ppl": [["--model", "IN"], ["--text", "IN"], ["--threads", "N"], ["--json"], ["--per-sentence"], ["--verify"], ["--tokenizer", "W"]],
    "query": [["--model", "IN"], ["--text", "IN"], ["--threads", "N"], ["--verify"]],
    "compile": [["IN"], ["OUT"], ["--threads", "N"], ["--verify"]],
    "tokenize": [["--text", "IN"], ["--out", "OUT"], ["--tokenizer", "W"], ["--lowercase"], ["--invalid-utf8", "W"]],
    "vocab": [["--text", "IN"], ["--out", "OUT"], ["--min-count", "N"]],
    "scale": [["--text", "IN"], ["--orders", "L"], ["--sizes", "L"], ["--start", "N"], ["--factor", "N"], ["--bootstrap", "N"],
              ["--threads", "N"], ["--heldout-fraction", "N"], ["--smoothing", "W"], ["--out", "DIR"], ["--seed", "N"], ["--fresh"]],
}
words = ["kneser-ney", "stupid-backoff", "whitespace", "unicode", "character", "error", "replace", "", "x", "-"]
in_paths = ["train.txt", "score.txt", "m.arpa", "m.bin", "m.counts", "missing.txt", "-", "/dev/null", ".", "/proc/self/status"]
out_paths = ["o.arpa", "o.bin", "o.arpa.gz", "m.arpa", "m.bin", "m.counts", "train.txt", "/dev/null", "-", ".",
             "no-such-folder/o", "/proc/sc", "/dev/full", "o.arpa"]
for number in range(args.cases):
    command = rng.choice(sorted(options))
    arguments = [command]
    read = set()
    for _ in range(rng.randint(1, 6)):
        for token in rng.choice(options[command]):
            if token == "N": arguments.append(rng.choice(bad_numbers))
            elif token == "W": arguments.append(rng.choice(words))
            elif token == "IN":
                arguments.append(rng.choice(in_paths))
                read.add(arguments[-1])
            elif token == "OUT": arguments.append(rng.choice(out_paths))
            elif token == "DIR": arguments.append(rng.choice(["out", "/dev/null", "m.arpa", "no-such/x"]))
            elif token == "L": arguments.append(rng.choice(["1,2", "1k,2k", "0", "inf", "1e400", "3,2", "", "1,,2", "61"]))
            else: arguments.append(token)
    label = f"seed {args.seed} option case {number}"
    # Scale on the bundled corpus would take long: give it the small training text.
    if command == "scale" and "--text" not in arguments:
        arguments += ["--text", "train.txt"]
    run(arguments, label, cwd=work, timeout=60, stdin=open(score, "rb"))
    for n in inputs:
        if open(os.path.join(work, n), "rb").read() != pristine[n]:
            # Reading a file and writing another over it is fine; writing over what it reads is not.
            if n in read or (command == "compile" and n in arguments[1:2]):
                problem(label, f"the input {n} was overwritten: {arguments}")
            with open(os.path.join(work, n), "wb") as f: f.write(pristine[n])
    extra = [n for n in leftovers(work, inputs | {"o.arpa", "o.bin", "o.arpa.gz", "out"}) if ".tmp-" in n or n.startswith("ngramkit-")]
    if extra:
        problem(label, f"left behind {extra}: {arguments}")
    for n in ("o.arpa", "o.bin", "o.arpa.gz"):
        if os.path.exists(os.path.join(work, n)): os.remove(os.path.join(work, n))
    shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)

# --- 2. signals during a build -----------------------------------------------------------------
ptb = os.path.join(args.shared, "corpora/ptb/ptb.train.txt.gz")
sig_dir = os.path.join(work, "signals")
os.makedirs(sig_dir)
old = b"the previous model\n"
for number in range(max(8, args.cases // 25)):
    sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
    out_arpa, out_bin = os.path.join(sig_dir, "out.arpa"), os.path.join(sig_dir, "out.bin")
    for path in (out_arpa, out_bin):
        with open(path, "wb") as f: f.write(old)
    p = subprocess.Popen([tool, "build", "--order", "5", "--text", ptb, "--arpa", out_arpa, "--binary", out_bin],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0.05, 2.5))
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill(); problem(f"signal case {number}", f"no exit after {sig.name}"); continue
    label = f"seed {args.seed} signal case {number} ({sig.name})"
    if p.returncode == 0:
        counts["ok"] += 1
    elif sig != signal.SIGKILL and p.returncode != 128 + sig:
        problem(label, f"exit {p.returncode}, expected {128 + sig}: {err.decode()[-200:]}")
    else:
        counts["signalled"] += 1
    left = leftovers(sig_dir, ["out.arpa", "out.bin"])
    if left: problem(label, f"left behind {left}")
    for path in (out_arpa, out_bin):
        data = open(path, "rb").read()
        complete = data.endswith(b"\\end\\\n") if path.endswith(".arpa") else len(data) > 4096
        if data != old and not complete:
            problem(label, f"{os.path.basename(path)} is neither the old file nor complete ({len(data)} bytes)")
    for n in os.listdir(sig_dir): os.remove(os.path.join(sig_dir, n))

# --- 3. a full disk ----------------------------------------------------------------------------
if os.geteuid() == 0:
    full = os.path.join(work, "full")
    os.makedirs(full)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", full]).returncode == 0:
        try:
            big = os.path.join(args.shared, "corpora/ptb/ptb.valid.txt.gz")
            for number, arguments in enumerate([
                    ["build", "--order", "5", "--text", big, "--arpa", os.path.join(full, "o.arpa")],
                    ["build", "--order", "5", "--text", big, "--binary", os.path.join(full, "o.bin")],
                    ["build", "--order", "5", "--text", big, "--arpa", os.path.join(full, "o.arpa.gz")],
                    ["count", "--order", "5", "--text", big, "--out", os.path.join(full, "o.counts")],
                    ["tokenize", "--text", big, "--out", os.path.join(full, "o.txt")],
                    ["compile", arpa, os.path.join(full, "o.bin")] ]):
                with open(os.path.join(full, "keep"), "wb") as f: f.write(b"x" * 1500000)
                p = run(arguments, f"full disk case {number}", cwd=work)
                counts["full disk"] += 1
                os.remove(os.path.join(full, "keep"))
                if p is not None and p.returncode != 0:
                    left = os.listdir(full)
                    if left: problem(f"full disk case {number}", f"left behind {left}: {arguments}")
                    if b"No space left" not in p.stderr: problem(f"full disk case {number}", f"message: {p.stderr[-200:]!r}")
                for n in os.listdir(full): os.remove(os.path.join(full, n))
        finally:
            subprocess.run(["umount", full])

# --- 4. concurrent writers to one path ---------------------------------------------------------
shared_out = os.path.join(work, "shared.arpa")
expected = open(arpa, "rb").read()
for number in range(max(2, args.cases // 200)):
    writers = [subprocess.Popen([tool, "build", "--order", "3", "--text", train, "--arpa", shared_out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(12)]
    codes = [w.wait(timeout=120) for w in writers]
    counts["concurrency"] += 1
    if any(codes): problem(f"concurrency case {number}", f"exit codes {codes}")
    if open(shared_out, "rb").read() != expected: problem(f"concurrency case {number}", "the file is not one complete model")
    left = [n for n in os.listdir(work) if n.startswith("shared.arpa.")]
    if left: problem(f"concurrency case {number}", f"left behind {left}")

shutil.rmtree(work, ignore_errors=True)
print(f"seed {args.seed}: {args.cases} option cases and {max(8, args.cases // 25)} signal cases: {counts['ok']} successes, "
      f"{counts['error']} one-line errors, {counts['signalled']} runs ended by a signal; {counts['full disk']} full-disk cases; "
      f"{counts['concurrency']} rounds of 12 concurrent writers; {len(problems)} problems")
sys.exit(1 if problems else 0)
