"""reactive_blocks: Gradio-Blocks-style apps, one WebSocket per tab.

Write apps as with Gradio, importing this package instead::

    import reactive_blocks as gr

    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        greeting = gr.Textbox(label="Greeting")
        name.change(lambda n: f"Hello {n}!", name, greeting)

    demo.launch()
"""

from reactive_blocks.client import AsyncClient, Client, handle_file
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
from reactive_blocks.errors import (
    DeclarationError,
    Error,
    EventError,
    NotSupportedError,
    ProtocolError,
    ReactiveBlocksError,
    SessionExpired,
)
from reactive_blocks.protocol import Blob
from reactive_blocks.scheduler import Info, Progress, Warning
from reactive_blocks.transport import launch as _launch

Blocks.launcher = _launch

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
