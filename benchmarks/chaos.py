"""Chaos runs: kill -9 during ingestion, concurrent writers of one article, and a question fuzzer.

Everything is real and on this machine: `article-qa` processes, the
embedded store in a temporary directory, a `chroma run` server on 127.0.0.1
at a free port, and the bundled embedding model. Every run is bounded (a
count of runs, a timeout per process) and stops by itself. It prints, per
scenario: runs tried, runs leaving an inconsistent store (`article-qa check`
finds an article whose record disagrees with its passages or sentences),
runs that lost data (an article reported stored that is missing or broken,
or a writer's report that does not match the store), and runs where a
process crashed (died by a signal, or printed a traceback)::

    python benchmarks/chaos.py [--kills 20] [--writers 20] [--questions 1000] [--window-questions 200] [--seed 0]
        [--modes embedded server] [--scenarios kill writers rewritten uploads bulk fuzz window]

Scenarios:

* **kill**: `article-qa ingest` of 20 small files, killed with SIGKILL after
  a random number of them (0-19) is reported stored and a random 0-0.3 s
  more (while it embeds the next, or writes it); the store is checked, then
  the same command is run again to the end and the store checked again. Lost:
  an article reported stored before the kill that is missing or broken, or
  one missing after the re-run.
* **writers**: two `article-qa ingest --article-id shared` of two files
  (10-30 paragraphs, as many in both, other numbers) started at once, as two people adding
  the same article; both write (or one is refused because the other stored
  it first, which is no loss), and the article must end whole, holding one
  of the two texts.
* **rewritten**: the issue's own case: `article-qa ingest report.txt` started,
  the file rewritten 0-1.5 s later and a second `article-qa ingest
  report.txt` started; both must succeed and the article end whole, holding
  one of the two texts.
* **uploads**: two uploads of ``report.txt`` with other texts at once,
  through the window's own add-article function in two threads of one
  process (as two people using one window); the article must end whole,
  holding one of the two texts.
* **bulk writers**: into a store holding one article, two processes writing
  60 articles of 20 passages each through ``vectorstore.PassageStore`` at
  once (4-d vectors: many records, fast), ``--writers / 4`` times; every
  article must end whole.
* **fuzz**: questions built from what broke earlier versions (code points
  whose NFKC form is long, lone surrogates, bidirectional controls,
  combining marks, NUL, private-use and unassigned code points, emoji, long
  runs, mixed scripts) and ordinary ones, with odd ``top_k`` values, asked
  through the Python API in a child process; a crash is the child dying or
  an exception that is not one of the errors meant for users. Then more of
  them through the window's ``/chat`` (an `article-qa ui` process, raw HTTP
  so that lone surrogates travel as JSON escapes); a crash is the window
  dying or a request without a reply.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLI = [sys.executable, "-m", "assistant.cli"]
#: Environment and directory of the processes under test (``--code`` runs another checkout); checks use this one.
WRITERS_ENV: dict[str, str] | None = None
WRITERS_CWD: Path | None = None


def news(i: int, tag: str, homes: int, paragraphs: int = 1) -> str:
    """A short English article whose numbers tell its versions apart."""
    body = "\n\n".join(
        f"The council of district {tag}-{i}-{j} approved {homes + j} new homes on Monday, at a cost of {i + j + 3} "
        f"million dollars. Work on the first {homes // 2 + j} starts in spring."
        for j in range(paragraphs)
    )
    return f"Report {tag} {i}\n\n{body}\n"


def crashed(done: subprocess.CompletedProcess | subprocess.Popen, stderr: str) -> bool:
    return ((done.returncode or 0) < 0 and done.returncode != -signal.SIGKILL) or "Traceback" in stderr


def check(where: list[str]) -> tuple[dict, bool]:
    """`article-qa check --json`: the report, and whether the check itself crashed."""
    done = subprocess.run([*CLI, "check", "--json", *where], capture_output=True, text=True, timeout=600)
    try:
        return json.loads(done.stdout), crashed(done, done.stderr)
    except json.JSONDecodeError:
        return {"consistent": False, "found": {"problems": {"?": [done.stderr[-300:]]}}}, True


def kill_runs(runs: int, where: list[str], work: Path, rng: random.Random) -> dict[str, int]:
    """``runs`` ingestions killed at random; returns the counts."""
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    folder = work / "kill-files"
    folder.mkdir(exist_ok=True)
    for run in range(runs):
        for i in range(20):
            (folder / f"item-{i:02d}.txt").write_text(news(i, f"k{run}", 100 + run * 20 + i), encoding="utf-8")
        process = subprocess.Popen([*CLI, "ingest", str(folder), *where], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=WRITERS_ENV, cwd=WRITERS_CWD)  # fmt: skip
        lines, target = [], rng.randrange(20)
        while len(lines) < target and (line := process.stdout.readline()):
            lines.append(line)
        time.sleep(rng.uniform(0.0, 0.3))  # in the middle of embedding or of a write
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        reported = [
            line.split(" ", 1)[0] for line in [*lines, *out.splitlines()] if ": added" in line or ": replaced" in line
        ]
        after_kill, broke = check(where)
        problems = after_kill.get("found", {}).get("problems", {})
        lost = [a for a in reported if a not in listed(where) or a in problems]
        again = subprocess.run(
            [*CLI, "ingest", str(folder), *where],
            capture_output=True,
            text=True,
            timeout=600,
            env=WRITERS_ENV,
            cwd=WRITERS_CWD,
        )
        after_rerun, broke_again = check(where)
        lost += [f"item-{i:02d}" for i in range(20) if f"item-{i:02d}" not in listed(where)]
        counts["tried"] += 1
        counts["crashed"] += broke or broke_again or crashed(process, err) or crashed(again, again.stderr)
        counts["inconsistent"] += (
            not (after_kill.get("consistent") and after_rerun.get("consistent")) or again.returncode != 0
        )
        counts["lost"] += bool(lost)
        print(f"  kill {run + 1}/{runs}: {len(reported)} reported stored before the kill; after it "
              f"{'consistent' if after_kill.get('consistent') else 'INCONSISTENT'}; lost {len(lost)}", flush=True)  # fmt: skip
    return counts


def writer_runs(runs: int, where: list[str], work: Path, rng: random.Random) -> dict[str, int]:
    """``runs`` pairs of writers of one article at once; returns the counts."""
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    for run in range(runs):
        subprocess.run(
            [*CLI, "remove", "shared", *where], capture_output=True, timeout=300, env=WRITERS_ENV, cwd=WRITERS_CWD
        )
        texts, size = {}, rng.randint(10, 30)  # the same size: both writers reach the store at about the same time
        for side, homes in (("a", 1000 + 2 * run), ("b", 1001 + 2 * run)):
            texts[side] = work / f"writer-{side}.txt"
            texts[side].write_text(news(run, "w", homes, paragraphs=size), encoding="utf-8")
        writers = [subprocess.Popen([*CLI, "ingest", str(texts[side]), "--article-id", "shared", *where], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=WRITERS_ENV, cwd=WRITERS_CWD) for side in "ab"]  # fmt: skip
        outputs = [w.communicate(timeout=600) for w in writers]
        report, broke = check(where)
        counts["tried"] += 1
        counts["crashed"] += broke or any(crashed(w, err) for w, (_, err) in zip(writers, outputs))
        counts["inconsistent"] += not report.get("consistent", False)
        held = subprocess.run([sys.executable, "-c", "import sys; from assistant import Assistant; "
                               "print(Assistant.from_settings(**dict(a.split('=', 1) for a in sys.argv[1:])).article_text('shared') or '')",
                               *(f"{k}={v}" for k, v in settings_of(where).items())],
                              capture_output=True, text=True, timeout=300).stdout  # fmt: skip
        winner = next((side for side in "ab" if texts[side].read_text(encoding="utf-8").strip() in held), None)
        # A writer may be refused because the other stored the article first ("already holds"): that is no loss.
        refused_cleanly = all(w.returncode == 0 or "already holds" in err for w, (_, err) in zip(writers, outputs))
        counts["lost"] += winner is None or not refused_cleanly or not report.get("consistent", False)
        statuses = "/".join(next((x.split(": ", 1)[1].split(",")[0] for x in out.splitlines() if ": " in x), "refused")
                            for out, _ in outputs)  # fmt: skip
        holds = f"writer {winner}'s text" if winner else "NEITHER text"
        print(f"  writers {run + 1}/{runs}: {statuses}; {'consistent' if report.get('consistent') else 'INCONSISTENT'}; "
              f"holds {holds}", flush=True)  # fmt: skip
    return counts


def rewritten_runs(runs: int, where: list[str], work: Path, rng: random.Random) -> dict[str, int]:
    """``runs`` pairs of ingests of one file rewritten between their starts; returns the counts."""
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    path = work / "report.txt"
    for run in range(runs):
        size = rng.randint(10, 30)
        texts = [news(run, "r", 2000 + 2 * run + side, paragraphs=size) for side in (0, 1)]
        writers = []
        for text in texts:
            path.write_text(text, encoding="utf-8")
            writers.append(subprocess.Popen([*CLI, "ingest", str(path), *where], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True, env=WRITERS_ENV, cwd=WRITERS_CWD))  # fmt: skip
            time.sleep(rng.uniform(0.0, 1.5))
        outputs = [w.communicate(timeout=600) for w in writers]
        report, broke = check(where)
        held = subprocess.run([sys.executable, "-c", "import sys; from assistant import Assistant; "
                               "print(Assistant.from_settings(**dict(a.split('=', 1) for a in sys.argv[1:])).article_text('report') or '')",
                               *(f"{k}={v}" for k, v in settings_of(where).items())],
                              capture_output=True, text=True, timeout=300).stdout  # fmt: skip
        winner = next((i for i, text in enumerate(texts) if text.strip() in held), None)
        counts["tried"] += 1
        counts["crashed"] += broke or any(crashed(w, err) for w, (_, err) in zip(writers, outputs))
        counts["inconsistent"] += not report.get("consistent", False)
        counts["lost"] += (
            winner is None or any(w.returncode != 0 for w in writers) or not report.get("consistent", False)
        )
        statuses = "/".join(next((x.split(": ", 1)[1].split(",")[0] for x in out.splitlines() if ": " in x), "failed")
                            for out, _ in outputs)  # fmt: skip
        holds = f"text {'ab'[winner]}" if winner is not None else "NEITHER text"
        print(f"  rewritten {run + 1}/{runs}: {statuses}; {'consistent' if report.get('consistent') else 'INCONSISTENT'}; "
              f"holds {holds}", flush=True)  # fmt: skip
    return counts


UPLOADS_CHILD = r"""
import sys, threading
import ui
from assistant import Assistant
qa = Assistant.from_settings(**dict(a.split("=", 1) for a in sys.argv[3:]))
messages = []
threads = [threading.Thread(target=lambda p=p: messages.append(ui.add_article(qa, p, None))) for p in sys.argv[1:3]]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(messages))
"""


def upload_runs(runs: int, where: list[str], work: Path, rng: random.Random) -> dict[str, int]:
    """``runs`` times, two uploads of report.txt with other texts at once, through the window's add-article
    function (``ui.add_article``) in two threads of one process; returns the counts."""
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    for run in range(runs):
        paths, size = [], rng.randint(10, 30)
        for side, homes in (("a", 3000 + 2 * run), ("b", 3001 + 2 * run)):
            (work / f"upload-{side}").mkdir(exist_ok=True)
            paths.append(work / f"upload-{side}" / "report.txt")
            paths[-1].write_text(news(run, "u", homes, paragraphs=size), encoding="utf-8")
        done = subprocess.run([sys.executable, "-c", UPLOADS_CHILD, *map(str, paths),
                               *(f"{k}={v}" for k, v in settings_of(where).items())],
                              capture_output=True, text=True, timeout=600, env=WRITERS_ENV, cwd=WRITERS_CWD)  # fmt: skip
        report, broke = check(where)
        held = subprocess.run([sys.executable, "-c", "import sys; from assistant import Assistant; "
                               "print(Assistant.from_settings(**dict(a.split('=', 1) for a in sys.argv[1:])).article_text('report') or '')",
                               *(f"{k}={v}" for k, v in settings_of(where).items())],
                              capture_output=True, text=True, timeout=300).stdout  # fmt: skip
        winner = next(
            (side for side, path in zip("ab", paths) if path.read_text(encoding="utf-8").strip() in held), None
        )
        counts["tried"] += 1
        counts["crashed"] += broke or crashed(done, done.stderr)
        counts["inconsistent"] += not report.get("consistent", False)
        counts["lost"] += done.returncode != 0 or winner is None or not report.get("consistent", False)
        print(f"  uploads {run + 1}/{runs}: {done.stdout.strip().replace(chr(10), ' | ')[:160]}; "
              f"{'consistent' if report.get('consistent') else 'INCONSISTENT'}", flush=True)  # fmt: skip
    return counts


def store_writer_runs(runs: int, where: list[str], work: Path) -> dict[str, int]:
    """``runs`` times, two processes each writing 60 articles of 20 passages through ``PassageStore`` at once
    (4-d vectors: many records, fast); returns the counts."""
    from tests.integration.test_writers import STORE_WRITER

    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    for run in range(runs):
        settings = settings_of(where)
        if "store" in settings:
            target = f"{settings['store']}-toy{run}"
        else:
            target = f"chroma://{settings['chroma_host']}:{settings['chroma_port']}/toy{run}{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [sys.executable, "-c", STORE_WRITER, target, "seed", "1", "5"],
            check=True,
            timeout=300,
            env=WRITERS_ENV,
            cwd=WRITERS_CWD,
        )
        writers = [subprocess.Popen([sys.executable, "-c", STORE_WRITER, target, tag, "60", "20"], stderr=subprocess.PIPE,
                                    text=True, env=WRITERS_ENV, cwd=WRITERS_CWD) for tag in ("east", "west")]  # fmt: skip
        errors = [w.communicate(timeout=600)[1] for w in writers]
        # Checked in a process of its own, which loads the store as it is on disk.
        script = ("import sys, json; from urllib.parse import urlsplit; from vectorstore import PassageStore, open_client, open_http_client; "
                  "w = sys.argv[1]; u = urlsplit(w); "
                  "s = PassageStore(open_http_client(u.hostname, u.port), 'toy', 4, u.path.strip('/')) if w.startswith('chroma://') else PassageStore(open_client(w), 'toy', 4); "
                  "c = s.check(); print(json.dumps([c.articles, len(c.problems)]))")  # fmt: skip
        done = subprocess.run([sys.executable, "-c", script, target], capture_output=True, text=True, timeout=600)
        articles, broken = json.loads(done.stdout) if done.returncode == 0 else (0, -1)
        counts["tried"] += 1
        counts["crashed"] += any(crashed(w, e) for w, e in zip(writers, errors)) or crashed(done, done.stderr)
        counts["inconsistent"] += broken != 0
        counts["lost"] += broken != 0 or articles != 121 or any(w.returncode for w in writers)
        print(f"  store writers {run + 1}/{runs}: {articles} of 121 articles, {broken} broken", flush=True)
    return counts


def settings_of(where: list[str]) -> dict[str, str]:
    """The command line's store options as ``Assistant.from_settings`` keywords (``store=...``)."""
    names = {
        "--store": "store",
        "--chroma-host": "chroma_host",
        "--chroma-port": "chroma_port",
        "--collection": "collection",
    }
    return {names[k]: v for k, v in zip(where[::2], where[1::2])}


def listed(where: list[str]) -> set[str]:
    """Ids of the articles `article-qa list` shows."""
    done = subprocess.run([*CLI, "list", "--json", *where], capture_output=True, text=True, timeout=300)
    return {a["article_id"] for a in json.loads(done.stdout or "[]")}


FUZZ_CHILD = r"""
import json, sys
from assistant import Assistant
from assistant.errors import USER_ERRORS
from ingest import E5Embeddings
qa = Assistant.build(E5Embeddings(), sys.argv[1])
qa.ingest_sample_if_empty()
for line in sys.stdin:
    case = json.loads(line)
    try:
        qa.ask(case["question"], case["history"], top_k=case["top_k"])
        outcome = "answered"
    except USER_ERRORS:
        outcome = "refused"
    except Exception as exc:
        outcome = f"raised {type(exc).__name__}: {exc}"[:300]
    print(json.dumps(outcome), flush=True)
"""


def fuzz_cases(n: int, rng: random.Random) -> list[dict]:
    """``n`` questions (with a history and a ``top_k``) mixing dangerous characters and ordinary words."""
    expanding = [
        chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and len(unicodedata.normalize("NFKC", chr(c))) > 3
    ]
    pools = {
        "expanding": expanding,
        "surrogate": [chr(c) for c in range(0xD800, 0xE000, 97)],
        "bidi": list("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"),
        "combining": ["\u0651", "\u064b", "\u0301", "\u0654", "\u0670"],
        "control": ["\x00", "\x07", "\x1b", "\r", "\t", "\x85"],
        "private": [chr(rng.randrange(0xE000, 0xF900)) for _ in range(50)] + [chr(0x10FFFD), chr(0x0378), chr(0xFFFF)],
        "emoji": list("😀🙏🔥🇸🇦👨‍👩‍👧") + ["\U0001f9ec"],
        "arabic": "ما حجم التبادل التجاري بين روسيا والصين متى التقى بوتين وشي شخصياً كم جندياً شارك".split(),
        "latin": "When did Putin and Xi last meet how much trade G7 ministers demand Russia".split(),
        "digits": ["102.5", "29.8%", "٢٠١٩", "10,000", "1e308", "-0", "∞"],
    }
    cases = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            pool = rng.choice(list(pools))
            token = rng.choice(pools[pool])
            parts.append(
                token * (rng.choice([1, 1, 1, 5, 50, 400]) if pool in ("expanding", "combining", "bidi") else 1)
            )
        question = rng.choice([" ", "", "؟ "]).join(parts)[: rng.choice([40, 300, 2000, 2100])]
        history = rng.choice([None, [], [{"role": "user", "content": rng.choice(pools["arabic"]) + "ﷺ" * 30}],
                              [("سؤال", "جواب")], [{"role": "assistant", "content": None}], "not a history"])  # fmt: skip
        top_k = rng.choice([None, None, None, 1, 3, 50, 0, 51, -1, 2.5, "3", True])
        cases.append({"question": question, "history": history, "top_k": top_k})
    return cases


def fuzz(n: int, work: Path, rng: random.Random) -> dict[str, int]:
    """Ask ``n`` fuzzed questions in a child process (restarted after a crash); returns the counts."""
    cases = fuzz_cases(n, rng)
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    outcomes: dict[str, int] = {}
    at = 0
    while at < len(cases):
        child = subprocess.Popen([sys.executable, "-c", FUZZ_CHILD, str(work / "fuzz-store")], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                 errors="surrogatepass")  # fmt: skip
        for case in cases[at:]:
            try:
                child.stdin.write(json.dumps(case, ensure_ascii=True) + "\n")
                child.stdin.flush()
                line = child.stdout.readline()
            except BrokenPipeError:
                line = ""
            at += 1
            counts["tried"] += 1
            if not line:  # the child died on this question
                counts["crashed"] += 1
                print(f"  fuzz: the child died ({child.wait()}) on {case['question'][:60]!r}", flush=True)
                break
            outcome = json.loads(line)
            if outcome.startswith("raised"):
                counts["crashed"] += 1
                print(f"  fuzz: {outcome} on {case['question'][:60]!r}", flush=True)
                outcome = "raised"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        child.stdin.close()
        child.wait(timeout=60)
    print(f"  fuzz outcomes: {outcomes}", flush=True)
    return counts


def fuzz_window(n: int, work: Path, rng: random.Random) -> dict[str, int]:
    """Send ``n`` fuzzed questions to `/chat` of an `article-qa ui` process (raw HTTP, so that lone surrogates
    go as JSON escapes); a crash is the window dying, or an answer that is neither a reply nor a clear error."""
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    window = subprocess.Popen([*CLI, "ui", "--port", str(port), "--store", str(work / "window-store")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=WRITERS_ENV, cwd=WRITERS_CWD)  # fmt: skip
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 180
    counts = {"tried": 0, "inconsistent": 0, "lost": 0, "crashed": 0}
    try:
        while True:
            try:
                if httpx.get(url).status_code == 200:
                    break
            except httpx.HTTPError:
                if window.poll() is not None or time.monotonic() > deadline:
                    print(f"  window: did not start ({window.stderr.read()[-300:]})", flush=True)
                    counts["crashed"] += 1
                    return counts
                time.sleep(0.5)
        for case in fuzz_cases(n, rng):
            body = json.dumps({"data": [case["question"], [], [], 3, "extractive"]})  # ASCII escapes
            counts["tried"] += 1
            try:
                event = httpx.post(f"{url}/gradio_api/call/chat", content=body, headers={"Content-Type": "application/json"},
                                   timeout=60).json()  # fmt: skip
                events = httpx.get(f"{url}/gradio_api/call/chat/{event['event_id']}", timeout=120).text
                ok = "event: complete" in events
            except (httpx.HTTPError, KeyError, ValueError):
                ok = False
            if not ok or window.poll() is not None:
                counts["crashed"] += 1
                print(
                    f"  window: {'died' if window.poll() is not None else 'no reply'} on {case['question'][:60]!r}",
                    flush=True,
                )
                if window.poll() is not None:
                    break
    finally:
        window.terminate()
        window.wait(timeout=30)
    return counts


SCENARIOS = ["kill", "writers", "rewritten", "uploads", "bulk", "fuzz", "window"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="kill -9 runs per store mode")
    parser.add_argument("--writers", type=int, default=20, help="concurrent-writer runs per store mode")
    parser.add_argument("--questions", type=int, default=1000, help="fuzzed questions through the Python API")
    parser.add_argument("--window-questions", type=int, default=200, help="fuzzed questions through the window's /chat")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS, help="which scenarios to run")
    parser.add_argument(
        "--code", type=Path, help="run the writers from another checkout (an older version, to compare)"
    )
    args = parser.parse_args()
    if args.code:
        import os

        global WRITERS_ENV, WRITERS_CWD
        WRITERS_ENV, WRITERS_CWD = {**os.environ, "PYTHONPATH": str(args.code.resolve())}, args.code.resolve()
    from tests.conftest import start_chroma_server, stop_chroma_server

    rng = random.Random(args.seed)
    rows: list[tuple[str, dict[str, int]]] = []
    with tempfile.TemporaryDirectory(prefix="aq-chaos-") as tmp:
        work = Path(tmp)
        server = None
        try:
            for mode in args.modes:
                if mode == "server":
                    server, port = start_chroma_server(work / "server-data")
                    base = ["--chroma-host", "127.0.0.1", "--chroma-port", str(port)]
                    store = lambda: [*base, "--collection", f"c{uuid.uuid4().hex[:12]}"]  # noqa: E731
                else:
                    store = lambda: ["--store", str(work / f"store-{uuid.uuid4().hex[:8]}")]  # noqa: E731
                if args.kills and "kill" in args.scenarios:
                    print(f"kill -9 during ingest, {mode}", flush=True)
                    rows.append((f"kill -9 during ingest, {mode}", kill_runs(args.kills, store(), work, rng)))
                if args.writers and "writers" in args.scenarios:
                    print(f"two writers of one article, {mode}", flush=True)
                    rows.append((f"two writers of one article, {mode}", writer_runs(args.writers, store(), work, rng)))
                if args.writers and "rewritten" in args.scenarios:
                    print(f"one file rewritten between two ingests, {mode}", flush=True)
                    rows.append(
                        (f"one file rewritten, two ingests, {mode}", rewritten_runs(args.writers, store(), work, rng))
                    )
                if args.writers and "uploads" in args.scenarios:
                    print(f"two uploads of one name at once, {mode}", flush=True)
                    rows.append((f"two uploads of one name, {mode}", upload_runs(args.writers, store(), work, rng)))
                if args.writers and "bulk" in args.scenarios:
                    runs = max(1, args.writers // 4)
                    print(f"two processes writing 60 articles each, {mode}", flush=True)
                    rows.append((f"two bulk writers, {mode}", store_writer_runs(runs, store(), work)))
        finally:
            if server is not None:
                stop_chroma_server(server)
        if args.questions and "fuzz" in args.scenarios:
            print("question fuzzer", flush=True)
            rows.append(("fuzzed questions (API)", fuzz(args.questions, work, rng)))
        if args.window_questions and "window" in args.scenarios:
            print("question fuzzer through the window", flush=True)
            rows.append(("fuzzed questions (window /chat)", fuzz_window(args.window_questions, work, rng)))
    print(f"\n{'scenario':<44} {'tried':>6} {'inconsistent':>13} {'lost':>5} {'crashed':>8}")
    for name, c in rows:
        print(f"{name:<44} {c['tried']:>6} {c['inconsistent']:>13} {c['lost']:>5} {c['crashed']:>8}")


if __name__ == "__main__":
    main()
