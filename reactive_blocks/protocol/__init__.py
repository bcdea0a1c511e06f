"""The wire format shared by the server and the clients (see docs/protocol.md)."""

from __future__ import annotations

from reactive_blocks.protocol._blob import Blob
from reactive_blocks.protocol._codec import (
    PROTOCOL_VERSION,
    decode_frame,
    encode_frame,
    is_json_int,
    peek_ref,
    too_large_text,
)
from reactive_blocks.protocol._edits import Edit
from reactive_blocks.protocol._edits import apply as apply_edits
from reactive_blocks.protocol._edits import diff as diff_values
from reactive_blocks.protocol._edits import equal as equal_values
from reactive_blocks.protocol._rate import TokenBucket

__all__ = [
    "PROTOCOL_VERSION",
    "Blob",
    "Edit",
    "TokenBucket",
    "apply_edits",
    "decode_frame",
    "diff_values",
    "encode_frame",
    "equal_values",
    "is_json_int",
    "peek_ref",
    "too_large_text",
]
