"""reactive_blocks: Gradio-Blocks-style apps, one WebSocket per tab.

Write apps as with Gradio, importing this package instead::

    import reactive_blocks as gr

    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        greeting = gr.Textbox(label="Greeting")
        name.change(lambda n: f"Hello {n}!", name, greeting)

    demo.launch()
"""

from typing import TYPE_CHECKING, Any

from reactive_blocks.declaration import (
    Accordion,
    Blocks,
    Button,
    Chatbot,
    Column,
    Dependency,
    Group,
    Image,
    LinePlot,
    Markdown,
    Row,
    Slider,
    State,
    Tab,
    TabItem,
    Tabs,
    Textbox,
    Timer,
    update,
)
from reactive_blocks.declaration._gradio_names import GRADIO_NAMES as _GRADIO_NAMES
from reactive_blocks.errors import (
    DeclarationError,
    Error,
    EventError,
    NotBuiltError,
    NotSupportedError,
    ProtocolError,
    ReactiveBlocksError,
    SessionExpired,
)
from reactive_blocks.protocol import Blob
from reactive_blocks.scheduler import Info, Progress, Warning
from reactive_blocks.transport import launch as _launch

if TYPE_CHECKING:
    from reactive_blocks.client import AsyncClient, Client, handle_file

Blocks.launcher = _launch

_CLIENT_NAMES = ("AsyncClient", "Client", "handle_file")


def __getattr__(name: str) -> Any:
    """The Python client, imported when first used; an error for anything else.

    A server never needs the client, and its import (the websockets package)
    was a tenth of the time from process start to the first page served.

    Raises:
        NotBuiltError: ``name`` is part of Gradio's API but not built here.
        AttributeError: ``name`` is not Gradio's either.
    """
    if name in _CLIENT_NAMES:
        from reactive_blocks import client

        return getattr(client, name)
    if name in _GRADIO_NAMES:
        raise NotBuiltError(f"gr.{name}", sorted(_GRADIO_NAMES.intersection(__all__)))
    raise AttributeError(f"module 'reactive_blocks' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Accordion",
    "AsyncClient",
    "Blob",
    "Blocks",
    "Button",
    "Chatbot",
    "Client",
    "Column",
    "DeclarationError",
    "Dependency",
    "Error",
    "EventError",
    "Group",
    "Image",
    "Info",
    "LinePlot",
    "Markdown",
    "NotBuiltError",
    "NotSupportedError",
    "Progress",
    "ProtocolError",
    "ReactiveBlocksError",
    "Row",
    "SessionExpired",
    "Slider",
    "State",
    "Tab",
    "TabItem",
    "Tabs",
    "Textbox",
    "Timer",
    "Warning",
    "handle_file",
    "update",
]
