"""axe-core (Deque's accessibility engine, MPL-2.0) for the browser tests: its pinned release from the npm
registry, checked against the registry's SHA-512 integrity, unpacked once into the user's cache directory.

:func:`axe_script` gives the path of ``axe.min.js``, which a test injects into the page
(``page.add_script_tag(path=...)``) and runs (``axe.run``). ``python -m tests.axe`` fetches it ahead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path

import platformdirs

AXE_VERSION = "4.10.3"
#: The registry's ``dist.tarball`` and ``dist.integrity`` of that release.
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_INTEGRITY = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="


def axe_script() -> Path:
    """``axe.min.js`` of :data:`AXE_VERSION`, fetched on first use into
    ``~/.cache/article-qa/axe-core-VERSION`` (``$ARTICLE_QA_AXE_DIR`` overrides).

    Raises:
        RuntimeError: If the registry cannot be reached, or the tarball's digest is not the pinned one.
    """
    folder = Path(os.environ.get("ARTICLE_QA_AXE_DIR") or platformdirs.user_cache_dir("article-qa")) / (
        f"axe-core-{AXE_VERSION}"
    )
    script = folder / "axe.min.js"
    if script.is_file():
        return script
    try:
        with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:
            data = response.read()
    except OSError as exc:
        raise RuntimeError(f"cannot fetch axe-core from {AXE_TARBALL}: {exc}") from exc
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != AXE_INTEGRITY:
        raise RuntimeError(f"{AXE_TARBALL} is not the pinned release: {digest} != {AXE_INTEGRITY}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None
        folder.mkdir(parents=True, exist_ok=True)
        partial = script.with_suffix(".part")
        partial.write_bytes(member.read())
        partial.replace(script)
    return script


if __name__ == "__main__":
    print(axe_script())
