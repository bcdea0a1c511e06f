"""Declaration: the Python objects an app is written with.

Building an app here starts no loop and no thread; ``Blocks.spec()`` turns
it into the immutable ``AppSpec`` the lower runtime layers serve.
"""

from reactive_blocks.declaration._block import Block, BlockContext
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
    Image,
    LinePlot,
    Markdown,
    Slider,
    Textbox,
)

__all__ = [
    "Accordion",
    "AppSpec",
    "Block",
    "BlockContext",
    "Blocks",
    "Button",
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
    "Tab",
    "TabItem",
    "Tabs",
    "Textbox",
    "TriggerMode",
    "is_update",
    "update",
]
