"""The example apps, driven in Chromium as a person would use them."""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import e2e_support
import numpy as np
import pytest
from e2e_support import EXAMPLES, AppProcess
from PIL import Image

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import BrowserContext, Page, expect

browser = e2e_support.browser
context = e2e_support.context
page = e2e_support.page
serve = e2e_support.serve

Serve = Callable[[Path], AppProcess]

#: Seconds the server gets to run a tab's unload listeners after it closes.
UNLOAD_TIMEOUT = 10.0


def open_app(page: Page, app: AppProcess) -> None:
    """Loads the app's page and waits until the socket has rendered it."""
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()


def test_hello_greets_as_the_name_is_typed(page: Page, serve: Serve) -> None:
    """Typing a name key by key ends with the exact greeting under a real h1."""
    open_app(page, serve(EXAMPLES / "blocks_hello.py"))

    heading = page.locator(".rb-markdown h1")
    expect(heading).to_have_text("Hello World!")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello World!")
    expect(page.locator(".rb-markdown p")).to_have_text(
        "Start typing below to see the output."
    )

    name = page.get_by_placeholder("What is your name?")
    output = page.locator(".rb-textbox input").nth(1)
    expect(output).to_have_value("")
    name.press_sequentially("Abubakar", delay=20)

    expect(name).to_have_value("Abubakar")
    expect(output).to_have_value("Welcome to Gradio, Abubakar!")
    expect(output).not_to_be_editable()


def test_flipper_flips_text(page: Page, serve: Serve) -> None:
    """In the Flip Text tab, Flip turns "hello" into "olleh"."""
    open_app(page, serve(EXAMPLES / "blocks_flipper.py"))

    expect(page.get_by_role("tab", name="Flip Text")).to_have_attribute(
        "aria-selected", "true"
    )
    boxes = page.locator(".rb-textbox input")
    expect(boxes).to_have_count(2)
    text_in, text_out = boxes.all()
    text_in.click()
    page.keyboard.type("hello")
    page.get_by_role("button", name="Flip").click()

    expect(text_out).to_have_value("olleh")
    expect(text_in).to_have_value("hello")


def test_flipper_flips_an_uploaded_image(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    """An uploaded 4x3 PNG comes back mirrored left to right, pixel for pixel."""
    open_app(page, serve(EXAMPLES / "blocks_flipper.py"))
    text_in = page.locator(".rb-textbox input").first
    images = page.locator(".rb-image.rb-block")
    expect(text_in).to_be_visible()
    expect(images).to_have_count(2)
    expect(images.first).to_be_hidden()

    page.get_by_role("tab", name="Flip Image").click()
    expect(page.get_by_role("tab", name="Flip Image")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(text_in).to_be_hidden()
    expect(images.nth(0)).to_be_visible()
    expect(images.nth(1)).to_be_visible()

    # Each column has its own colour, so any flip but the left-right one shows.
    columns = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (250, 200, 10)]
    pixels = np.array([[columns[x] for x in range(4)] for _ in range(3)], np.uint8)
    pixels[1, 0] = (1, 2, 3)  # and one pixel tells the rows apart
    source = tmp_path / "columns.png"
    Image.fromarray(pixels, "RGB").save(source)

    images.first.locator("input[type=file]").set_input_files(source)
    expect(images.first.locator("img")).to_have_attribute("src", re.compile("^blob:"))
    page.get_by_role("button", name="Flip").click()

    shown = images.nth(1).locator("img")
    expect(shown).to_be_visible()
    expect(shown).to_have_attribute("src", re.compile("^blob:"))
    data = shown.evaluate(
        """async (img) => {
            const response = await fetch(img.src);
            return Array.from(new Uint8Array(await response.arrayBuffer()));
        }"""
    )
    with Image.open(io.BytesIO(bytes(data))) as flipped:
        assert flipped.format == "PNG"
        assert flipped.size == (4, 3)
        assert flipped.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(flipped), np.fliplr(pixels))


def test_flipper_accordion_opens_on_click(page: Page, serve: Serve) -> None:
    """The closed "Open for More!" accordion reveals its slider when clicked."""
    open_app(page, serve(EXAMPLES / "blocks_flipper.py"))

    header = page.get_by_role("button", name="Open for More!")
    slider = page.get_by_label("Slide me")
    expect(header).to_have_attribute("aria-expanded", "false")
    expect(slider).to_be_hidden()
    expect(page.get_by_text("Look at me...")).to_be_hidden()

    header.click()

    expect(header).to_have_attribute("aria-expanded", "true")
    expect(slider).to_be_visible()
    expect(slider).to_have_value("0.1")
    expect(page.get_by_text("Look at me...")).to_be_visible()


def test_kinematics_renders_math_and_plots_forty_points(
    page: Page, serve: Serve
) -> None:
    """The range formula is typeset by KaTeX and Run draws a 40-point trajectory."""
    open_app(page, serve(EXAMPLES / "blocks_kinematics.py"))

    prose = page.locator(".rb-markdown")
    expect(prose).to_contain_text("Let's do some kinematics!")
    expect(prose.locator(".katex")).to_have_count(1)
    expect(prose.locator(".katex-html")).to_be_visible()
    expect(prose).not_to_contain_text("$R = ")
    expect(prose).not_to_contain_text("$")

    plot = page.locator(".rb-lineplot")
    expect(plot).to_have_attribute("data-point-count", "0")
    expect(page.get_by_label("Speed")).to_have_value("25")
    expect(page.get_by_label("Angle")).to_have_value("45")

    page.get_by_role("button", name="Run").click()

    expect(plot).to_have_attribute("data-point-count", "40")
    canvas = plot.locator("canvas")
    expect(canvas).to_have_count(1)
    expect(canvas).to_be_visible()
    page.wait_for_function(
        """(canvas) => {
            const { width, height } = canvas;
            if (width === 0 || height === 0) return false;
            const pixels = canvas.getContext("2d").getImageData(0, 0, width, height);
            return pixels.data.some((channel, i) => i % 4 === 3 && channel !== 0);
        }""",
        arg=canvas.element_handle(),
    )


def test_example_usage_welcomes_on_run(page: Page, serve: Serve) -> None:
    """Run writes the exact welcome for the typed name, and only on the click."""
    open_app(page, serve(EXAMPLES / "blocks_example_usage.py"))

    expect(page.locator(".rb-markdown strong")).to_have_text("Run")
    name = page.get_by_placeholder("What is your name?")
    output = page.locator(".rb-textbox input").nth(1)
    name.click()
    page.keyboard.type("Grace Hopper")
    expect(name).to_have_value("Grace Hopper")
    expect(output).to_have_value("")

    page.get_by_role("button", name="Run").click()

    expect(output).to_have_value("Welcome to Gradio, Grace Hopper!")


def test_launch_example_asks_for_a_login_then_reverses(
    page: Page, serve: Serve
) -> None:
    """A wrong password is refused, the right one opens the app, Reverse works."""
    app = serve(EXAMPLES / "launch_example_usage.py")
    page.goto(app.url)

    expect(page).to_have_url(f"{app.url}login")
    expect(page.get_by_role("heading", name="Login")).to_be_visible()
    expect(page.locator("#app")).to_have_count(0)

    page.get_by_label("Username").fill("username")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    expect(page).to_have_url(f"{app.url}login?failed=1")
    expect(page.locator(".rb-blocks")).to_have_count(0)

    page.get_by_label("Username").fill("username")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Login").click()

    expect(page).to_have_url(app.url)
    reverse = page.get_by_role("button", name="Reverse")
    expect(reverse).to_be_visible()
    boxes = page.locator(".rb-textbox input")
    expect(boxes).to_have_count(2)
    text_in, text_out = boxes.all()
    text_in.click()
    page.keyboard.type("abc")
    reverse.click()

    expect(text_out).to_have_value("cba")


def test_unload_example_prints_hello_once_when_the_tab_closes(
    context: BrowserContext, page: Page, serve: Serve
) -> None:
    """Closing the only tab makes the server print "hello", exactly once."""
    app = serve(EXAMPLES / "unload_example_usage.py")
    open_app(page, app)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "When you close the tab, hello will be printed to the console"
    )
    assert "hello" not in app.stdout_lines

    page.close()

    app.wait_for_line(lambda line: line == "hello", UNLOAD_TIMEOUT)
    lines = app.stop()
    assert lines.count("hello") == 1, lines


def test_function_error_shows_a_toast(page: Page, serve: Serve, tmp_path: Path) -> None:
    """A listener raising ValueError("boom") under show_error=True toasts its text."""
    script = tmp_path / "failing_app.py"
    script.write_text(
        textwrap.dedent(
            """\
            import reactive_blocks as gr

            def fail(text):
                raise ValueError("boom")

            with gr.Blocks() as demo:
                inp = gr.Textbox(label="Input")
                out = gr.Textbox(label="Output")
                gr.Button("Fail").click(fail, inp, out)

            demo.launch(show_error=True)
            """
        ),
        encoding="utf-8",
    )
    open_app(page, serve(script))

    page.get_by_label("Input").fill("anything")
    page.get_by_role("button", name="Fail").click()

    toast = page.locator(".rb-toast")
    expect(toast).to_have_count(1)
    expect(toast).to_have_attribute("role", "alert")
    expect(toast.locator(".rb-toast-message")).to_have_text("ValueError: boom")
    expect(page.get_by_role("alert")).to_contain_text("ValueError: boom")
    expect(page.get_by_label("Output")).to_have_value("")
