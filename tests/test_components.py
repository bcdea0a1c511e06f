"""What components turn listener return values into, for the wire."""

from __future__ import annotations

import io
import math
import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import PIL.Image
import pytest

import reactive_blocks as gr
from reactive_blocks.declaration import _files
from reactive_blocks.declaration._files import open_servable, servable_path
from reactive_blocks.declaration.components._image import IMAGE_BLOCK_SIZE


def plot_value(frame: pd.DataFrame) -> dict[str, object]:
    with gr.Blocks():
        plot = gr.LinePlot(x="x", y="y")
    value = plot.postprocess(frame)
    assert isinstance(value, dict)
    return value


def test_a_numeric_table_travels_as_rows_of_floats() -> None:
    frame = pd.DataFrame({"x": np.arange(3), "y": [0.5, -1.25, 2.0]})

    value = plot_value(frame)

    assert value == {
        "columns": ["x", "y"],
        "data": [[0.0, 0.5], [1.0, -1.25], [2.0, 2.0]],
    }
    assert {type(v) for row in value["data"] for v in row} == {float}


def test_missing_numbers_become_null() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.5, math.nan, 2.0]})

    assert plot_value(frame)["data"] == [[1.0, 0.5], [2.0, None], [3.0, 2.0]]


def test_dates_travel_as_epoch_seconds_and_text_stays_text() -> None:
    frame = pd.DataFrame(
        {
            "x": pd.to_datetime(["1970-01-01 00:00:10", "1970-01-02 00:00:00"]),
            "y": [1, 2],
            "series": ["a", "b"],
        }
    )

    assert plot_value(frame)["data"] == [[10.0, 1, "a"], [86400.0, 2, "b"]]


def test_a_boolean_column_stays_boolean() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [True, False]})

    rows = plot_value(frame)["data"]

    assert rows == [[1, True], [2, False]]
    assert [type(y) for _, y in rows] == [bool, bool]  # 1.0 == True in Python


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="no column 'y'"):
        plot_value(pd.DataFrame({"x": [1]}))


@pytest.mark.skipif(
    "PILLOW_BLOCK_SIZE" in os.environ, reason="the environment sets Pillow's blocks"
)
def test_a_decoded_image_leaves_pillow_with_blocks_the_allocator_gives_back() -> None:
    """After an Image decodes, Pillow allocates images in 64 MiB blocks.

    Blocks of Pillow's default 16 MiB stayed in the decoding threads' heaps
    once freed: gigabytes after bursts of large uploads.
    """
    import PIL.Image

    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    blob = gr.Image().postprocess(pixels)
    decoded = gr.Image().preprocess(blob)

    np.testing.assert_array_equal(decoded, pixels)
    assert PIL.Image.core.get_block_size() == IMAGE_BLOCK_SIZE == 64 * 1024 * 1024


def test_a_state_whose_value_cannot_be_copied_is_refused_where_it_is_made() -> None:
    """Each session gets a copy, so a value that cannot be copied fails at once."""
    with pytest.raises(
        TypeError, match=r"gr\.State must be able to be deep-copied.*lock"
    ):
        gr.State(threading.Lock())

    assert gr.State(threading.Lock).value is threading.Lock


@pytest.fixture
def directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A working and a temp directory side by side, neither inside the other."""
    working, temporary = tmp_path / "work", tmp_path / "temp"
    working.mkdir()
    temporary.mkdir()
    monkeypatch.chdir(working)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    return working, temporary


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_files_in_the_working_and_temp_directories_may_be_sent(
    directories: tuple[Path, Path],
) -> None:
    working, temporary = directories
    plot = touch(working / "plots" / "a.png")
    upload = touch(temporary / "upload.png")

    assert servable_path("plots/a.png", "Image") == plot
    assert servable_path(upload, "Image") == upload


def test_gradio_temp_dir_is_a_third_place_files_may_come_from(
    directories: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = touch(tmp_path / "cache" / "b.png")
    with pytest.raises(ValueError, match="a function may return files in"):
        servable_path(cache, "Image")

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "cache"))

    assert servable_path(cache, "Image") == cache


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "a function may return files in "),
        ("link.png", "a function may return files in "),
        (".env", "hidden files and directories are never sent"),
        (".git/config", "hidden files and directories are never sent"),
        ("../temp/.cache/c.png", "hidden files and directories are never sent"),
        ("plots", "it is not a regular file"),
        ("pipe.png", "it is not a regular file"),
        ("gone.png", "it does not exist"),
    ],
)
def test_other_paths_are_refused_saying_why(
    directories: tuple[Path, Path], name: str, reason: str
) -> None:
    working, temporary = directories
    (working / "link.png").symlink_to(touch(working.parent / "secret.png"))
    touch(working / ".env")
    touch(working / ".git" / "config")
    touch(temporary / ".cache" / "c.png")
    (working / "plots").mkdir()
    os.mkfifo(working / "pipe.png")

    with pytest.raises(ValueError) as caught:
        open_servable(name, "Image 'Shown'")

    assert str(caught.value).startswith("Image 'Shown' cannot send /")
    assert reason in str(caught.value)


def test_a_path_with_a_nul_byte_is_refused_naming_the_component() -> None:
    with pytest.raises(ValueError, match=r"^Image 'Shown' cannot send 'a\\x00b.png': "):
        servable_path("a\x00b.png", "Image 'Shown'")


@pytest.mark.parametrize("swapped_for", ["link", "pipe", "directory link"])
def test_a_name_swapped_after_its_check_is_not_what_is_read(
    directories: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    swapped_for: str,
) -> None:
    """The open file itself is checked: a link, a pipe or a way out is refused.

    The name check passes for the file as it was; the name check is made to
    answer the swapped name, as a swap just after it would.
    """
    working, _ = directories
    outside = touch(working.parent / "outside" / "secret.png")
    if swapped_for == "link":
        name = working / "race.png"
        name.symlink_to(outside)
    elif swapped_for == "pipe":
        name = working / "race.png"
        os.mkfifo(name)
    else:
        (working / "shared").symlink_to(outside.parent, target_is_directory=True)
        name = working / "shared" / "secret.png"
    monkeypatch.setattr(_files, "servable_path", lambda value, owner: name)

    with pytest.raises(ValueError) as caught:
        open_servable(name, "Image 'Shown'")

    assert str(caught.value).startswith("Image 'Shown' cannot send ")
    assert {
        "link": "it is not a regular file",  # the link itself, never followed
        "pipe": "it is not a regular file",
        "directory link": f"{outside}: a function may return files in ",
    }[swapped_for] in str(caught.value)


def test_an_open_servable_file_says_where_it_lies_and_its_size(
    directories: tuple[Path, Path],
) -> None:
    working, _ = directories
    plot = working / "plot.png"
    plot.write_bytes(b"12345")

    path, size, file = open_servable("plot.png", "Image")
    with file:
        assert (path, size, file.read()) == (plot, 5, b"12345")


def test_an_image_header_past_the_bomb_limit_names_its_pixels(
    directories: tuple[Path, Path],
) -> None:
    """Pillow refuses a 20000x20000 header itself: the error says so, not "no image"."""
    working, _ = directories
    huge = working / "huge.png"
    with PIL.Image.new("1", (20000, 20000)) as image:
        image.save(huge)
    with gr.Blocks():
        shown = gr.Image(label="Shown")

    with pytest.raises(ValueError) as caught:
        shown.postprocess(str(huge))

    assert str(caught.value).startswith(
        f"Image 'Shown' cannot send {huge}: Image size (400000000 pixels) exceeds "
    )


def test_uploads_given_as_paths_are_written_to_gradio_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    with gr.Blocks():
        upload = gr.Image(type="filepath")
    png = io.BytesIO()
    PIL.Image.new("RGB", (2, 2)).save(png, "PNG")

    written = Path(upload.preprocess(gr.Blob(png.getvalue(), "image/png")))

    assert written.parent == tmp_path / "uploads"
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
