"""The components an app can place on its page."""

from reactive_blocks.declaration.components._button import Button
from reactive_blocks.declaration.components._chatbot import Chatbot
from reactive_blocks.declaration.components._image import Image
from reactive_blocks.declaration.components._lineplot import LinePlot
from reactive_blocks.declaration.components._markdown import Markdown
from reactive_blocks.declaration.components._slider import Slider
from reactive_blocks.declaration.components._state import State
from reactive_blocks.declaration.components._textbox import Textbox
from reactive_blocks.declaration.components._timer import Timer

__all__ = [
    "Button",
    "Chatbot",
    "Image",
    "LinePlot",
    "Markdown",
    "Slider",
    "State",
    "Textbox",
    "Timer",
]
