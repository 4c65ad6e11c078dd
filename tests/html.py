"""HTML validity: the W3C Nu HTML checker (vnu.jar), which `bin/install-vnu` installs."""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# A short-lived JVM starts faster with the quick compiler only and the serial collector (half
# the time of the defaults); the quick compiler's deeper stack frames overflow the default 1 MB
# stack while the checker walks its HTML schema (1.5 MB suffices): 16 MB leaves a wide margin.
JAVA_OPTIONS = ["-Xss16m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
# Generous: one JVM checks every page (a few seconds); a hung JVM must not hang the suite.
TIMEOUT_SECONDS = 300


def validate_html(pages: dict[str, str]) -> dict[str, list[str]]:
    """The validator's errors on each page, by page name: ["line 12, column 5: message —
    extract: …", …], [] for a valid page. One JVM checks every page at once."""
    if not VNU_JAR.is_file():
        pytest.fail(
            f"The HTML validator is not installed ({VNU_JAR.relative_to(ROOT)} is missing): "
            "run bin/install-vnu (make test does).",
            pytrace=False,
        )
    java = shutil.which("java")
    if java is None:
        pytest.fail("The HTML validator needs java (17 or later) on the PATH.", pytrace=False)
    if not pages:
        return {}

    with tempfile.TemporaryDirectory(prefix="vnu-") as directory:
        names = {}  # file name -> page name; page names may be URLs, not file names
        for number, (name, html) in enumerate(pages.items()):
            path = Path(directory) / f"page-{number:03d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = name
        command = [java, *JAVA_OPTIONS, "-jar", str(VNU_JAR), "--errors-only", "--exit-zero-always"]
        command += ["--format", "json", *(str(Path(directory) / file) for file in names)]
        result = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_SECONDS
        )

    try:
        output = json.loads(result.stderr)  # vnu writes its report to stderr
    except json.JSONDecodeError:
        pytest.fail(
            f"The HTML validator failed (exit status {result.returncode}):\n"
            f"{result.stderr}{result.stdout}",
            pytrace=False,
        )

    errors: dict[str, list[str]] = {name: [] for name in pages}
    for message in output.get("messages", []):
        file = Path(unquote(urlparse(message.get("url", "")).path)).name
        if message.get("type") != "error" or file not in names:
            # A "non-document-error" (unreadable file, internal failure…), not a page's own.
            pytest.fail(f"The HTML validator failed: {message}", pytrace=False)
        errors[names[file]].append(describe(message))
    return errors


def describe(message: dict) -> str:
    """One validator error: where, what, and the HTML around it."""
    line = message.get("lastLine", message.get("firstLine", "?"))
    column = message.get("firstColumn", message.get("lastColumn", "?"))
    extract = json.dumps(message.get("extract", ""), ensure_ascii=False)
    return f"line {line}, column {column}: {message['message']} — extract: {extract}"


def report(errors: dict[str, list[str]]) -> str:
    """validate_html's result as text, page by page, for an assertion message."""
    return "\n".join(
        f"{name}:\n" + "\n".join(f"  {error}" for error in page_errors)
        for name, page_errors in errors.items()
        if page_errors
    )
