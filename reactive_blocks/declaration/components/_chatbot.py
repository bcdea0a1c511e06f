from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._unsupported import Refused
from reactive_blocks.errors import NotSupportedError

ROLES = ("user", "assistant", "system")


class Chatbot(Component):
    """A conversation: a list of ``{"role", "content"}`` messages.

    Content is markdown, rendered and sanitised in the page. Streaming a
    reply by yielding the growing history sends only the new text.

    Args:
        value: The messages, or a callable returning them per session.
        type: Only ``"messages"`` (dicts with ``role`` and ``content``).
        height: The chat area's height in pixels.
        placeholder: Markdown shown while there are no messages.
        **kwargs: Common component options (``label``, ``visible``…).
    """

    block_type: ClassVar[str] = "chatbot"
    costly_conversion: ClassVar[bool] = True
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 names: buttons= in Gradio 6, and two it dropped.
        "show_share_button": None,
        "show_copy_button": False,
        "show_copy_all_button": False,
        "resizeable": False,
        "bubble_full_width": None,
        "container": True,
        "scale": None,
        "min_width": 160,
        "autoscroll": True,
        "resizable": False,
        "max_height": None,
        "min_height": None,
        "editable": None,
        "rtl": False,
        "watermark": None,
        "avatar_images": None,
        "sanitize_html": True,
        "render_markdown": True,
        "feedback_options": ("Like", "Dislike"),
        "feedback_value": None,
        "layout": None,
        "examples": None,
        "allow_file_downloads": True,
        "like_user_message": False,
        "reasoning_tags": None,
        # Gradio's defaults for these differ from what the page does.
        "latex_delimiters": Refused("math between $...$ and $$...$$ is rendered"),
        "line_breaks": Refused("a single newline does not break a line"),
        "group_consecutive_messages": Refused("each message has its own bubble"),
        "buttons": Refused("the chat shows no share or copy button"),
        "allow_tags": Refused("custom tags are removed, their text kept"),
    }

    def __init__(
        self,
        value: Any = None,
        *,
        type: Literal["messages"] = "messages",
        height: int | str = 400,
        placeholder: str | None = None,
        **kwargs: Any,
    ) -> None:
        if type in ("tuples", None):  # None is Gradio 5's default: tuples
            raise NotSupportedError(
                "Chatbot",
                "type",
                f"only type='messages' is built, got {type!r} "
                "(Gradio 5's default, None, means 'tuples')",
            )
        if type != "messages":
            raise ValueError(f"Chatbot type={type!r} is not one of messages, tuples")
        self.height = height
        self.placeholder = placeholder
        kwargs.setdefault("interactive", False)
        super().__init__(value, **kwargs)

    def postprocess(self, value: Any) -> list[dict[str, str]]:
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            raise ValueError(
                f"{self.name} needs a list of messages, got {type(value).__name__}"
            )
        return [self._message(m) for m in value]

    def _message(self, message: Any) -> dict[str, str]:
        if (
            isinstance(message, dict)
            and message.get("role") in ROLES
            and "content" in message
        ):
            content = message["content"]
            return {
                "role": message["role"],
                "content": "" if content is None else str(content),
            }
        raise ValueError(
            f"{self.name}: each message must be a dict with 'role' (one of "
            f"{', '.join(ROLES)}) and 'content', got {message!r}"
        )

    def preprocess(self, value: Any) -> list[dict[str, str]]:
        return [dict(m) for m in value or []]

    def validate(self, value: Any) -> Any:
        raise ValueError(f"{self.name} is not editable")

    def validate_output(self, value: Any) -> list[dict[str, str]]:
        return self.postprocess(value)

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "height": self.height,
            "placeholder": self.placeholder,
        }
