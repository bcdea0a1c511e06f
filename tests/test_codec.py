"""Encoding and decoding of frames: text, binary with blobs, malformed input."""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import orjson
import pytest

from reactive_blocks.errors import ProtocolError
from reactive_blocks.protocol import Blob, decode_frame, encode_frame, peek_ref

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
RAW_BYTES = b"\x00\x01\x02\xff"
HEADER_SHAPE = (
    'binary frame header must be an object {"parts": [[size, mime], ...], '
    '"body": message}'
)


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


@dataclasses.dataclass
class _Point:
    x: int
    y: int


def test_values_plain_orjson_refuses_are_sent_as_lists_and_objects() -> None:
    """A strided array, a set and a dataclass go as JSON; an object() is refused."""
    body = [{"strided": np.arange(6)[::2], "set": {3}, "point": _Point(1, 2)}]

    data, binary = encode_frame(body)

    assert not binary
    assert orjson.loads(data) == [
        {"strided": [0, 2, 4], "set": [3], "point": {"x": 1, "y": 2}}
    ]
    with pytest.raises(TypeError):
        encode_frame([{"value": object()}])


@dataclasses.dataclass
class _Picture:
    caption: str
    image: Blob


def test_a_blob_inside_a_dataclass_still_travels_as_a_part() -> None:
    """A dataclass is opened one level at a time, so its Blob stays binary."""
    picture = _Picture("cat", Blob(b"\x89PNG", "image/png"))

    data, binary = encode_frame([{"value": picture}])

    assert binary
    assert decode_frame(data, binary) == [
        {"value": {"caption": "cat", "image": Blob(b"\x89PNG", "image/png")}}
    ]


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
        pytest.param(_binary([], b""), HEADER_SHAPE, id="header-list"),
        pytest.param(_binary({"parts": 5, "body": None}), HEADER_SHAPE, id="parts-int"),
        pytest.param(
            _binary({"parts": None, "body": None}), HEADER_SHAPE, id="parts-null"
        ),
        pytest.param(
            _binary({"parts": {"0": [1, "a/b"]}, "body": None}, b"x"),
            HEADER_SHAPE,
            id="parts-object",
        ),
        pytest.param(_binary({"body": {"type": "ping"}}), HEADER_SHAPE, id="no-parts"),
        pytest.param(_binary({"parts": []}), HEADER_SHAPE, id="no-body"),
        pytest.param(
            _binary({"parts": [[3]], "body": None}, b"abc"),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got [3]",
            id="part-without-mime",
        ),
        pytest.param(
            _binary({"parts": [[-1, "image/png"]], "body": None}),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got [-1, 'image/png']",
            id="negative-size",
        ),
        pytest.param(
            _binary({"parts": [[True, "text/plain"]], "body": None}, b"x"),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got [True, 'text/plain']",
            id="size-bool",
        ),
        pytest.param(
            _binary({"parts": [[1.0, "text/plain"]], "body": None}, b"x"),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got [1.0, 'text/plain']",
            id="size-float",
        ),
        pytest.param(
            _binary({"parts": [[1, None]], "body": None}, b"x"),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got [1, None]",
            id="mime-null",
        ),
        pytest.param(
            _binary({"parts": ["x"], "body": None}, b"x"),
            "binary frame: each part is [size, mime] with a size of 0 or more "
            "bytes, got 'x'",
            id="part-str",
        ),
        pytest.param(
            _binary({"parts": [[1, "text/plain"]], "body": {"$bin": 0}}, b"xyz"),
            "binary frame: its parts add up to 1 bytes but 3 follow the header",
            id="bytes-left-over",
        ),
        pytest.param(
            _binary({"parts": [], "body": {"type": "ping"}}, b"x"),
            "binary frame: its parts add up to 0 bytes but 1 follow the header",
            id="bytes-without-parts",
        ),
        pytest.param(
            _binary({"parts": [[1, "text/plain"]], "body": {"$bin": True}}, b"x"),
            "no binary part True in frame",
            id="index-bool",
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


@pytest.mark.parametrize(
    ("frame", "binary", "ref"),
    [
        pytest.param(b'{"type": "ping", "ref": 12}', False, 12, id="text"),
        pytest.param(b'{"type": "ping", "ref": "a-1"}', False, "a-1", id="text-str"),
        pytest.param(b'{"type": "ping"}', False, None, id="text-no-ref"),
        pytest.param(b"{not json", False, None, id="text-not-json"),
        pytest.param(b"[1, 2]", False, None, id="text-not-object"),
        pytest.param(
            _binary({"parts": [[3, "a/b"]], "body": {"type": "set", "ref": 9}}, b"abc"),
            True,
            9,
            id="binary",
        ),
        pytest.param(
            _binary({"parts": 5, "body": {"type": "set", "ref": 4}}),
            True,
            4,
            id="binary-unchecked-parts",
        ),
        pytest.param(_binary([]), True, None, id="binary-header-list"),
        pytest.param(b"\x00\x00", True, None, id="binary-short"),
        pytest.param(struct.pack(">I", 100) + b"{}", True, None, id="binary-overrun"),
    ],
)
def test_peek_ref_finds_the_ref_or_none_without_raising(
    frame: bytes, binary: bool, ref: object
) -> None:
    """peek_ref reads a message's ref from any frame and never raises."""
    assert peek_ref(frame, binary) == ref


def test_peek_ref_reads_no_part_of_a_binary_frame() -> None:
    """A binary frame's parts are not parsed: bytes that are not JSON do not matter."""
    frame = _binary({"parts": [[4, "a/b"]], "body": {"ref": 3}}, b"{{{{")

    assert peek_ref(frame, True) == 3
