"""The README's Python plugin works as printed: its schema, a success and a failure."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

SDK = Path(__file__).parents[2]


def readme_plugin(tmp_path: Path) -> Path:
    readme = (SDK / "README.md").read_text()
    start = readme.index("## A plugin in Python (with the SDK)")
    block = readme[readme.index("```python\n", start) + len("```python\n") :]
    code = block[: block.index("```\n")]
    (tmp_path / "plugin.py").write_text(code)
    return tmp_path


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal_plugin", *args], capture_output=True, text=True, timeout=60
    )


def test_readme_python_plugin(tmp_path):
    folder = readme_plugin(tmp_path)
    schema = json.loads(cli("schema", str(folder)).stdout)
    assert schema["required"] == ["url"]
    assert schema["description"] == "Wait for a service, then greet it."
    assert schema["properties"]["style"]["enum"] == ["plain", "loud"]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        done = cli("run", str(folder), "--param", f"url={url}", "--param", "timeout_s=5")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"outputs": {"status": 204}}
        loud = cli("run", str(folder), "--param", f"url={url}", "--param", "style=loud")
        assert loud.returncode == 1 and "expected 200" in loud.stderr
        undo = cli("run", str(folder), "--action", "rollback", "--param", f"url={url}")
        assert undo.returncode == 0 and "nothing to undo" in undo.stderr
    finally:
        server.shutdown()
        server.server_close()
