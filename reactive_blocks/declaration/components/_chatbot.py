from __future__ import annotations

from typing import Any, ClassVar, Literal

from reactive_blocks.declaration._component import Component

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

    def __init__(
        self,
        value: Any = None,
        *,
        type: Literal["messages"] = "messages",
        height: int | str = 400,
        placeholder: str | None = None,
        **kwargs: Any,
    ) -> None:
        if type != "messages":
            raise ValueError(f"Chatbot type={type!r}: only 'messages' is supported")
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
