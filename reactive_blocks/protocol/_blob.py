from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes with a MIME type: how images and files travel, never as base64.

    Two blobs are equal when their bytes and type are, which is what lets the
    session tell whether an image value really changed.

    Attributes:
        data: The raw bytes.
        mime: The MIME type, e.g. ``"image/png"``.
    """

    data: bytes
    mime: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"Blob({len(self.data)} bytes, {self.mime!r})"
