"""Uploads above the app's limits, refused by the page in Chromium before sending."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import e2e_support
import numpy as np
import pytest
from e2e_support import AppProcess
from PIL import Image

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect

browser = e2e_support.browser
context = e2e_support.context
page = e2e_support.page
serve = e2e_support.serve

Serve = Callable[[Path], AppProcess]

APP = """\
import reactive_blocks as gr

def size(image):
    return "none" if image is None else f"{image.shape[1]}x{image.shape[0]}"

with gr.Blocks() as demo:
    upload = gr.Image(label="Upload", sources=["upload"])
    seen = gr.Textbox(label="Seen")
    upload.change(lambda image: print("stored", size(image)), upload, None)
    gr.Button("Look").click(size, upload, seen)

demo.launch(OPTIONS)
"""


def start(serve: Serve, tmp_path: Path, options: str) -> AppProcess:
    script = tmp_path / "upload_app.py"
    script.write_text(APP.replace("OPTIONS", options), encoding="utf-8")
    return serve(script)


def noise_png(path: Path, side: int) -> Path:
    """A PNG of random pixels, which do not compress: about 3 bytes a pixel."""
    pixels = np.random.default_rng(7).integers(0, 256, (side, side, 3), np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def expect_connected(page: Page) -> None:
    """No "Reconnecting…" and no ended-session notice."""
    expect(page.locator(".rb-reconnecting")).to_have_text("")
    expect(page.locator(".rb-expired")).to_have_count(0)


def test_a_file_above_max_file_size_is_refused_before_sending(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """A 12 KB PNG under max_file_size="1kb" toasts the limit; the server never gets it."""
    app = start(serve, tmp_path, 'max_file_size="1kb"')
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()
    file_input = page.locator(".rb-image input[type=file]")
    picture = page.locator(".rb-image img")

    file_input.set_input_files(noise_png(tmp_path / "small.png", 8))
    expect(picture).to_have_attribute("src", re.compile("^blob:"))
    app.wait_for_line(lambda line: line == "stored 8x8", 10)
    shown = picture.get_attribute("src")

    file_input.set_input_files(noise_png(tmp_path / "large.png", 64))

    toast = page.locator(".rb-toast")
    expect(toast).to_have_count(1)
    expect(toast.locator(".rb-toast-message")).to_have_text(
        re.compile(
            r"^This file is \d+(\.\d)? KB, above this app's limit of 1 KB per file; "
            r"it was not sent\.$"
        )
    )
    expect(picture).to_have_attribute("src", shown or "")
    page.get_by_role("button", name="Look").click()
    expect(page.get_by_label("Seen")).to_have_value("8x8")
    expect_connected(page)
    lines = app.stop()
    assert [line for line in lines if line.startswith("stored")] == ["stored 8x8"]


def test_the_file_picker_gives_way_to_the_uploaded_image(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """Once an image shows, no bare "No file chosen" control sits under it."""
    app = start(serve, tmp_path, "")
    page.goto(app.url)
    file_input = page.locator(".rb-image input[type=file]")
    expect(file_input).to_be_visible()

    file_input.set_input_files(noise_png(tmp_path / "small.png", 8))
    expect(page.locator(".rb-image img")).to_be_visible()
    expect(file_input).to_be_hidden()
    page.get_by_role("button", name="Clear image").click()

    expect(file_input).to_be_visible()
    expect(page.locator(".rb-image img")).to_be_hidden()
    app.stop()


def test_a_file_above_the_message_limit_is_refused_without_max_file_size(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """A 17 MB file is never sent, as the server would end the session on it."""
    app = start(serve, tmp_path, "")
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG" + bytes(17 * 1024 * 1024))

    page.locator(".rb-image input[type=file]").set_input_files(huge)

    expect(page.locator(".rb-toast .rb-toast-message")).to_have_text(
        "This file is 17 MB, above this app's limit of 16 MB per file; it was not sent."
    )
    page.get_by_role("button", name="Look").click()
    expect(page.get_by_label("Seen")).to_have_value("none")
    expect_connected(page)
    lines = app.stop()
    assert not [line for line in lines if line.startswith("stored")]


def test_an_upload_the_server_refuses_is_taken_off_the_screen(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """A .png that is no image is refused by the server; the page shows the last one."""
    app = start(serve, tmp_path, "")
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()
    file_input = page.locator(".rb-image input[type=file]")
    file_input.set_input_files(noise_png(tmp_path / "small.png", 8))
    app.wait_for_line(lambda line: line == "stored 8x8", 10)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")

    file_input.set_input_files(broken)

    expect(page.locator(".rb-toast .rb-toast-message")).to_contain_text(
        "the upload is not a readable image"
    )
    page.wait_for_function(
        "() => document.querySelector('.rb-image img').naturalWidth === 8"
    )
    expect_connected(page)
    lines = app.stop()
    assert [line for line in lines if line.startswith("stored")] == ["stored 8x8"]


def test_a_message_above_the_socket_limit_ends_the_session_once(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """A 17 MB frame on the page's socket ends its session: no reconnect loop."""
    page.add_init_script(
        """(() => {
            const Native = window.WebSocket;
            window.rbSockets = [];
            window.WebSocket = class extends Native {
                constructor(...args) { super(...args); window.rbSockets.push(this); }
            };
        })()"""
    )
    app = start(serve, tmp_path, "")
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()

    page.evaluate("window.rbSockets[0].send(new ArrayBuffer(17 * 1024 * 1024))")

    expect(page.locator(".rb-expired")).to_be_visible()
    expect(page.locator(".rb-expired")).to_contain_text(
        re.compile("Session expired|too large")
    )
    page.wait_for_timeout(1000)
    assert page.evaluate("window.rbSockets.length") <= 2
    expect(page.locator(".rb-reconnecting")).to_have_text("")
