"""One app source for both frameworks: ``from _compat import gr, serve``.

``BENCH_TARGET`` picks the framework (``gradio`` or ``reactive_blocks``); the
port is the script's first argument. Everything else in an app file is plain
Gradio Blocks code that both run unchanged.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from _control import hold

TARGET = os.environ.get("BENCH_TARGET", "reactive_blocks")

if TARGET == "gradio":
    import gradio as gr
else:
    import reactive_blocks as gr

__all__ = ["TARGET", "gr", "serve"]


def serve(demo: Any) -> None:
    """Launch ``demo`` on 127.0.0.1 and hold until stopped."""
    options: dict[str, Any] = {
        "server_name": "127.0.0.1",
        "server_port": int(sys.argv[1]),
        "prevent_thread_lock": True,
        "quiet": True,
    }
    if TARGET == "gradio":
        # The browser page is served by Python here, as reactive_blocks does;
        # Gradio's optional Node renderer would add a second process.
        options["ssr_mode"] = False
    demo.launch(**options)
    try:
        hold()
    finally:
        demo.close()
