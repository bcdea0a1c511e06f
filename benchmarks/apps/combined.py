"""Every scenario's app in one Blocks, so ``--quick`` starts one server each."""

from __future__ import annotations

import batching
import hello
import slider
import streaming
import trivial
from _compat import gr, serve

with gr.Blocks() as demo:
    for app in (hello, trivial, streaming, slider, batching):
        app.build()

if __name__ == "__main__":
    serve(demo)
