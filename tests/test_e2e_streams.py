"""Streaming webcam input in Chromium, with Chromium's fake camera standing in."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import e2e_support
import pytest
from e2e_support import EXAMPLES, AppProcess

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser

context = e2e_support.context
page = e2e_support.page
serve = e2e_support.serve

Serve = Callable[[Path], AppProcess]

#: A camera that needs no hardware and no permission prompt: Chromium draws
#: a moving test picture, so every frame differs from the one before.
FAKE_CAMERA: Final = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)

#: Counts the times an image's picture changes, in ``window.rbPictures``.
COUNT_PICTURES: Final = """(img) => {
    window.rbPictures = 0;
    new MutationObserver(() => { window.rbPictures += 1; })
        .observe(img, { attributes: true, attributeFilter: ["src"] });
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium whose camera is the fake one, for this module only."""
    yield from e2e_support.launch_chromium(FAKE_CAMERA)


def open_app(page: Page, app: AppProcess) -> None:
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()


def pictures(page: Page) -> int:
    return int(page.evaluate("window.rbPictures"))


def watch_output(page: Page) -> Locator:
    """The second image's picture, its changes counted from now on."""
    shown = page.locator(".rb-image.rb-block").nth(1).locator("img")
    shown.evaluate(COUNT_PICTURES)
    return shown


def test_webcam_example_streams_edges_until_stop(page: Page, serve: Serve) -> None:
    """Record streams the camera into the edges image, updating it; Stop ends it."""
    open_app(page, serve(EXAMPLES / "webcam_stream.py"))
    webcam = page.locator(".rb-image.rb-block").first
    preview = webcam.locator("video")
    shown = watch_output(page)
    expect(preview).to_be_hidden()
    expect(webcam.get_by_role("button", name="Upload")).to_have_count(0)

    webcam.get_by_role("button", name="Record").click()

    expect(preview).to_be_visible()
    expect(webcam.get_by_role("button", name="Stop")).to_be_visible()
    page.wait_for_function("window.rbPictures >= 5")
    width = shown.evaluate("(img) => img.decode().then(() => img.naturalWidth)")
    assert width > 0

    webcam.get_by_role("button", name="Stop").click()

    expect(webcam.get_by_role("button", name="Record")).to_be_visible()
    expect(preview).to_be_hidden()
    # Frames already on the way when Stop was clicked may still land; then none.
    page.wait_for_timeout(1000)
    settled = pictures(page)
    page.wait_for_timeout(1500)
    assert pictures(page) == settled


def test_time_limit_stops_recording_and_record_starts_a_new_stream(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """At time_limit the page stops recording and says why; Record streams anew."""
    script = tmp_path / "short_stream.py"
    script.write_text(
        textwrap.dedent(
            """
            import reactive_blocks as gr

            with gr.Blocks() as demo:
                webcam = gr.Image(label="Cam", sources=["webcam"], streaming=True)
                copy = gr.Image(label="Copy")
                webcam.stream(lambda f: f, webcam, copy, stream_every=0.1, time_limit=1)

            demo.launch()
            """
        ),
        encoding="utf-8",
    )
    open_app(page, serve(script))
    webcam = page.locator(".rb-image.rb-block").first
    watch_output(page)

    webcam.get_by_role("button", name="Record").click()

    expect(webcam.get_by_role("button", name="Stop")).to_be_visible()
    expect(webcam.get_by_role("button", name="Record")).to_be_visible()
    expect(page.locator(".rb-toast-info")).to_contain_text(
        "the stream of Image 'Cam' reached its time_limit of 1 s and was stopped"
    )
    expect(page.locator(".rb-toast-error")).to_have_count(0)
    expect(webcam.locator("video")).to_be_hidden()
    first_stream = pictures(page)
    assert first_stream >= 2

    webcam.get_by_role("button", name="Record").click()

    page.wait_for_function(f"window.rbPictures >= {first_stream + 2}")
    webcam.get_by_role("button", name="Stop").click()
    expect(webcam.get_by_role("button", name="Record")).to_be_visible()


SNAPSHOT_APP: Final = """
import reactive_blocks as gr

with gr.Blocks() as demo:
    photo = gr.Image(label="Photo")
    size = gr.Textbox(label="Size")
    photo.upload(lambda p: f"{p.shape[1]}x{p.shape[0]}", photo, size)

demo.launch()
"""


def test_webcam_source_takes_one_photo_as_the_value(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """On an image with the default sources, Webcam then Capture uploads one frame."""
    script = tmp_path / "snapshot.py"
    script.write_text(SNAPSHOT_APP, encoding="utf-8")
    open_app(page, serve(script))
    photo = page.locator(".rb-image.rb-block").first
    expect(photo.locator(".rb-image-source")).to_have_text(
        ["Upload", "Webcam", "Paste"]
    )
    expect(photo.get_by_role("button", name="Upload")).to_have_attribute(
        "aria-pressed", "true"
    )

    photo.get_by_role("button", name="Webcam").click()
    expect(photo.locator("video")).to_be_visible()
    photo.get_by_role("button", name="Capture").click()

    # Chromium's fake camera films 640x480.
    expect(page.get_by_label("Size")).to_have_value("640x480")
    expect(photo.locator("video")).to_be_hidden()
    expect(photo.locator("img")).to_be_visible()
    expect(photo.get_by_role("button", name="Open webcam")).to_be_visible()


def test_pasting_an_image_uploads_it(page: Page, serve: Serve, tmp_path: Path) -> None:
    """An image pasted into the frame is sent like an upload."""
    script = tmp_path / "snapshot.py"
    script.write_text(SNAPSHOT_APP, encoding="utf-8")
    open_app(page, serve(script))
    frame = page.locator(".rb-image-frame").first

    frame.evaluate(
        """async (frame) => {
            const canvas = document.createElement("canvas");
            canvas.width = 5;
            canvas.height = 3;
            const png = await new Promise((done) => canvas.toBlob(done, "image/png"));
            const data = new DataTransfer();
            data.items.add(new File([png], "pasted.png", { type: "image/png" }));
            frame.dispatchEvent(
                new ClipboardEvent("paste", { clipboardData: data, bubbles: true })
            );
        }"""
    )

    expect(page.get_by_label("Size")).to_have_value("5x3")
