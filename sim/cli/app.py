"""The ``app`` command: the web app on localhost (Streamlit), in a process of its own."""

from __future__ import annotations

import sys
from pathlib import Path


def cmd_app(args) -> int:
    """Serve the web app on localhost with ``streamlit run`` until stopped (Ctrl-C)."""
    import importlib.util
    import socket
    import subprocess

    from ..inputs.config import ConfigError

    for library in ("streamlit", "altair"):  # checked here: the app runs in a process of its own
        if importlib.util.find_spec(library) is None:
            raise ConfigError(f"app needs {library}, which comes with the [app] extra: pip install -e '.[app]'")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("localhost", args.port))
        except OSError:
            raise ConfigError(
                f"--port {args.port}: already in use on this machine; choose another, e.g. --port 8502"
            ) from None
    script = Path(__file__).resolve().parent.parent / "app" / "main.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        "localhost",
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]  # no Deploy button
    print(f"Web app on http://localhost:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0
