"""Declaration: the Python objects an app is written with.

Building an app here starts no loop and no thread; ``Blocks.spec()`` turns
it into the immutable ``AppSpec`` the lower runtime layers serve.
"""

from reactive_blocks.declaration._block import Block, BlockContext, visibility
from reactive_blocks.declaration._blocks import Blocks
from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._layouts import (
    Accordion,
    Column,
    Group,
    Row,
    Tab,
    TabItem,
    Tabs,
)
from reactive_blocks.declaration._listeners import (
    Dependency,
    EventListener,
    Listener,
    TriggerMode,
)
from reactive_blocks.declaration._spec import AppSpec, PageOptions, QueueOptions
from reactive_blocks.declaration._updates import is_update, update
from reactive_blocks.declaration.components import (
    Button,
    Chatbot,
    Image,
    LinePlot,
    Markdown,
    Slider,
    State,
    Textbox,
    Timer,
)

__all__ = [
    "Accordion",
    "AppSpec",
    "Block",
    "BlockContext",
    "Blocks",
    "Button",
    "Chatbot",
    "Column",
    "Component",
    "Dependency",
    "EventListener",
    "Group",
    "Image",
    "LinePlot",
    "Listener",
    "Markdown",
    "PageOptions",
    "QueueOptions",
    "Row",
    "Slider",
    "State",
    "Tab",
    "TabItem",
    "Tabs",
    "Textbox",
    "Timer",
    "TriggerMode",
    "is_update",
    "update",
    "visibility",
]
