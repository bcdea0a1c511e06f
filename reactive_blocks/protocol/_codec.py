"""Encoding and decoding of frames, text and binary.

A binary frame is ``[u32 header length][JSON header][part bytes...]`` whose
header is ``{"parts": [[size, mime], ...], "body": ...}``; inside the body a
``{"$bin": i}`` object stands for part ``i``.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import orjson

from reactive_blocks.errors import ProtocolError
from reactive_blocks.protocol._blob import Blob

PROTOCOL_VERSION: Final = 1
MAX_DEPTH: Final = 64

_HEADER = struct.Struct(">I")
# Dataclasses pass through to ``default``: orjson would otherwise serialise a
# Blob as its fields, and its bytes as JSON, instead of as a binary part.
_OPTIONS: Final = (
    orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def encode_frame(body: Any) -> tuple[bytes, bool]:
    """Encode one frame body; returns the bytes and whether the frame is binary.

    The common case (no blobs) costs one ``orjson.dumps`` call: blobs are
    found by orjson's ``default`` hook, so no walk over the body is needed.
    """
    parts: list[Blob] = []

    def collect(value: Any) -> Any:
        if isinstance(value, Blob):
            parts.append(value)
            return {"$bin": len(parts) - 1}
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        raise TypeError(f"cannot send a value of type {type(value).__name__}")

    text = orjson.dumps(body, default=collect, option=_OPTIONS)
    if not parts:
        return text, False

    header = orjson.dumps(
        {"parts": [[len(p.data), p.mime] for p in parts], "body": orjson.loads(text)}
    )
    chunks = [_HEADER.pack(len(header)), header, *(p.data for p in parts)]
    return b"".join(chunks), True


def decode_frame(data: str | bytes, binary: bool) -> Any:
    """Decode one received frame into Python values, blobs restored.

    Raises:
        ProtocolError: ``bad_message`` naming what is wrong with the frame.
    """
    if not binary:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError(
                "bad_message", f"frame is not valid JSON: {exc}"
            ) from None

    assert isinstance(data, bytes)
    header, payload = _split_binary(data)
    parts: list[Blob] = []
    offset = 0
    for entry in header.get("parts", []):
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], int)
            or not isinstance(entry[1], str)
            or entry[0] < 0
        ):
            raise ProtocolError(
                "bad_message", "binary frame: each part is [size, mime]"
            )
        size, mime = entry
        if offset + size > len(payload):
            raise ProtocolError("bad_message", "binary frame: parts exceed the frame")
        parts.append(Blob(bytes(payload[offset : offset + size]), mime))
        offset += size

    return _restore(header.get("body"), parts, 0)


def _split_binary(data: bytes) -> tuple[dict[str, Any], memoryview]:
    if len(data) < _HEADER.size:
        raise ProtocolError(
            "bad_message", "binary frame shorter than its header length"
        )
    (length,) = _HEADER.unpack_from(data)
    end = _HEADER.size + length
    if end > len(data):
        raise ProtocolError(
            "bad_message", "binary frame header length exceeds the frame"
        )

    try:
        header = orjson.loads(data[_HEADER.size : end])
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("bad_message", f"binary frame header: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("bad_message", "binary frame header must be an object")
    return header, memoryview(data)[end:]


def _restore(value: Any, parts: list[Blob], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError("bad_message", f"message nested deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        if len(value) == 1 and "$bin" in value:
            index = value["$bin"]
            if not isinstance(index, int) or not 0 <= index < len(parts):
                raise ProtocolError("bad_message", f"no binary part {index!r} in frame")
            return parts[index]
        return {k: _restore(v, parts, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, parts, depth + 1) for v in value]
    return value
