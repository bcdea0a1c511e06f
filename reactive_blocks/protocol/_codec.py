"""Encoding and decoding of frames, text and binary.

A binary frame is ``[u32 header length][JSON header][part bytes...]`` whose
header is ``{"parts": [[size, mime], ...], "body": ...}``; inside the body a
``{"$bin": i}`` object stands for part ``i``.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any, Final, TypeGuard

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

    The common case (no blobs) costs one ``orjson.dumps`` call. A body that
    orjson cannot encode alone is encoded again with a ``default`` hook that
    finds the blobs, so no walk over the body is needed either way.
    """
    try:
        return orjson.dumps(body, option=_OPTIONS), False
    except TypeError:
        pass  # blobs, sets, or something that cannot be sent: see below

    parts: list[Blob] = []

    def collect(value: Any) -> Any:
        if isinstance(value, Blob):
            parts.append(value)
            return {"$bin": len(parts) - 1}
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
            return value.tolist()  # an array orjson takes only contiguous
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            # One level at a time: a Blob inside stays a Blob, sent as a part.
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        raise TypeError(f"cannot send a value of type {type(value).__name__}")

    text = orjson.dumps(body, default=collect, option=_OPTIONS)
    if not parts:
        return text, False

    header = orjson.dumps(
        {"parts": [[len(p.data), p.mime] for p in parts], "body": orjson.loads(text)}
    )
    chunks = [_HEADER.pack(len(header)), header, *(p.data for p in parts)]
    return b"".join(chunks), True


def decode_frame(
    data: str | bytes, binary: bool, *, max_part: int | None = None
) -> Any:
    """Decode one received frame into Python values, blobs restored.

    Args:
        data: The frame as received.
        binary: Whether it came in a binary frame.
        max_part: Bytes one binary part (one uploaded file) may hold; None
            for no limit. Parts are checked before any byte is copied.

    Raises:
        ProtocolError: ``bad_message`` naming what is wrong with the frame;
            ``too_large`` for a part above ``max_part``, with the message's
            ``ref`` when it has one.
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
    if max_part is not None:
        _check_part_sizes(header, max_part)
    return _restore(header["body"], _cut_parts(header["parts"], payload), 0)


def peek_ref(data: str | bytes, binary: bool) -> Any:
    """The ``ref`` of a message that will not be handled, or None without one.

    It lets a refusal name the message it refuses while costing only a JSON
    parse: the parts of a binary frame are neither read nor copied, nothing
    is validated, and a frame that does not parse simply has no ref.
    """
    try:
        if binary:
            assert isinstance(data, bytes)
            (length,) = _HEADER.unpack_from(data)
            header = orjson.loads(
                memoryview(data)[_HEADER.size : _HEADER.size + length]
            )
            message = header.get("body") if isinstance(header, dict) else None
        else:
            message = orjson.loads(data)
    except (struct.error, TypeError, orjson.JSONDecodeError):
        return None
    return message.get("ref") if isinstance(message, dict) else None


def _cut_parts(entries: list[Any], payload: memoryview) -> list[Blob]:
    """The parts the header lists, cut from the payload they must fill exactly."""
    parts: list[Blob] = []
    offset = 0
    for entry in entries:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not _is_count(entry[0])
            or not isinstance(entry[1], str)
        ):
            raise ProtocolError(
                "bad_message",
                f"binary frame: each part is [size, mime] with a size of 0 or more "
                f"bytes, got {entry!r}",
            )
        size, mime = entry
        if offset + size > len(payload):
            raise ProtocolError("bad_message", "binary frame: parts exceed the frame")
        parts.append(Blob(bytes(payload[offset : offset + size]), mime))
        offset += size

    if offset != len(payload):
        raise ProtocolError(
            "bad_message",
            f"binary frame: its parts add up to {offset} bytes but {len(payload)} "
            "follow the header",
        )
    return parts


def is_json_int(value: Any) -> TypeGuard[int]:
    """An integer as JSON carries it: ``true`` is not 1, as Python would have it."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return is_json_int(value) and value >= 0


def _check_part_sizes(header: dict[str, Any], max_part: int) -> None:
    """Refuse a frame with a part above ``max_part`` bytes, naming its ``ref``."""
    for entry in header["parts"]:
        size = entry[0] if isinstance(entry, list) and entry else None
        if isinstance(size, int) and size > max_part:
            body = header["body"]
            ref = body.get("ref") if isinstance(body, dict) else None
            raise ProtocolError("too_large", too_large_text(size, max_part), ref=ref)


def too_large_text(size: int, limit: int) -> str:
    """Why an upload of ``size`` bytes is refused, naming the limit."""
    return (
        f"the file is {size_text(size)}, above this app's limit of "
        f"{size_text(limit)} per file (launch(max_file_size=...)); send a smaller one"
    )


def size_text(size: int) -> str:
    """``size`` bytes as a person reads it: ``512 bytes``, ``100 KB``, ``17.6 MB``.

    A KB is 1024 bytes, as in ``launch(max_file_size="100kb")``.
    """
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


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
    if (
        not isinstance(header, dict)
        or not isinstance(header.get("parts"), list)
        or "body" not in header
    ):
        raise ProtocolError(
            "bad_message",
            'binary frame header must be an object {"parts": [[size, mime], ...], '
            '"body": message}',
        )
    return header, memoryview(data)[end:]


def _restore(value: Any, parts: list[Blob], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError("bad_message", f"message nested deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        if len(value) == 1 and "$bin" in value:
            index = value["$bin"]
            if not _is_count(index) or index >= len(parts):
                raise ProtocolError("bad_message", f"no binary part {index!r} in frame")
            return parts[index]
        return {k: _restore(v, parts, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, parts, depth + 1) for v in value]
    return value
