"""Encoding and decoding of frames: text, binary with blobs, malformed input."""

from __future__ import annotations

import struct

import orjson
import pytest

from reactive_blocks.errors import ProtocolError
from reactive_blocks.protocol import Blob, decode_frame, encode_frame

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
RAW_BYTES = b"\x00\x01\x02\xff"


def _binary(header: object, payload: bytes = b"") -> bytes:
    """A binary frame with this JSON header and payload."""
    text = orjson.dumps(header)
    return struct.pack(">I", len(text)) + text + payload


def test_message_without_bytes_is_a_text_frame() -> None:
    """A message without blobs encodes as plain JSON and decodes to itself."""
    body = [{"type": "update", "changes": [[4, "value", "Hi", "append"]]}]

    data, binary = encode_frame(body)

    assert binary is False
    assert orjson.loads(data) == body
    assert decode_frame(data, False) == body


def test_two_blobs_round_trip_through_a_binary_frame() -> None:
    """Two blobs travel as parts after a header whose body marks them by index."""
    first, second = Blob(PNG_BYTES, "image/png"), Blob(RAW_BYTES)
    body = {"type": "set", "id": 7, "value": [first, {"nested": second}]}

    data, binary = encode_frame(body)

    assert binary is True
    (length,) = struct.unpack_from(">I", data)
    header = orjson.loads(data[4 : 4 + length])
    assert header == {
        "parts": [
            [len(PNG_BYTES), "image/png"],
            [len(RAW_BYTES), "application/octet-stream"],
        ],
        "body": {
            "type": "set",
            "id": 7,
            "value": [{"$bin": 0}, {"nested": {"$bin": 1}}],
        },
    }
    assert data[4 + length :] == PNG_BYTES + RAW_BYTES
    assert decode_frame(data, True) == body


def test_text_frame_that_is_not_json_is_a_bad_message() -> None:
    """A text frame that does not parse raises ProtocolError('bad_message')."""
    with pytest.raises(ProtocolError) as caught:
        decode_frame(b'{"type": "set", ', False)

    assert caught.value.code == "bad_message"
    assert str(caught.value).startswith("frame is not valid JSON: ")


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(
            b"\x00\x00", "binary frame shorter than its header length", id="short"
        ),
        pytest.param(
            struct.pack(">I", 100) + b"{}",
            "binary frame header length exceeds the frame",
            id="header-overruns",
        ),
        pytest.param(
            _binary([], b""), "binary frame header must be an object", id="header-list"
        ),
        pytest.param(
            _binary({"parts": [[3]], "body": None}, b"abc"),
            "binary frame: each part is [size, mime]",
            id="part-without-mime",
        ),
        pytest.param(
            _binary({"parts": [[-1, "image/png"]], "body": None}),
            "binary frame: each part is [size, mime]",
            id="negative-size",
        ),
        pytest.param(
            _binary({"parts": [[10, "image/png"]], "body": {"$bin": 0}}, b"abc"),
            "binary frame: parts exceed the frame",
            id="parts-overrun",
        ),
        pytest.param(
            _binary({"parts": [[1, "text/plain"]], "body": {"$bin": 1}}, b"x"),
            "no binary part 1 in frame",
            id="missing-part",
        ),
        pytest.param(
            _binary({"parts": [[1, "text/plain"]], "body": {"$bin": "0"}}, b"x"),
            "no binary part '0' in frame",
            id="index-not-int",
        ),
        pytest.param(
            _binary({"parts": [], "body": _nested(70)}),
            "message nested deeper than 64",
            id="too-deep",
        ),
    ],
)
def test_malformed_binary_frame_is_a_bad_message(frame: bytes, message: str) -> None:
    """Each malformed binary frame raises ProtocolError('bad_message') naming why."""
    with pytest.raises(ProtocolError) as caught:
        decode_frame(frame, True)

    assert caught.value.code == "bad_message"
    assert str(caught.value) == message


def test_binary_header_that_is_not_json_is_a_bad_message() -> None:
    """A binary frame whose header does not parse raises ProtocolError('bad_message')."""
    frame = struct.pack(">I", 3) + b"{x}"

    with pytest.raises(ProtocolError) as caught:
        decode_frame(frame, True)

    assert caught.value.code == "bad_message"
    assert str(caught.value).startswith("binary frame header: ")
