"""The wire format shared by the server and the clients (see docs/protocol.md)."""

from __future__ import annotations

from reactive_blocks.protocol._blob import Blob
from reactive_blocks.protocol._codec import (
    PROTOCOL_VERSION,
    decode_frame,
    encode_frame,
)

__all__ = ["PROTOCOL_VERSION", "Blob", "decode_frame", "encode_frame"]
