"""Declaring apps: the config they produce and the mistakes they refuse."""

from __future__ import annotations

import threading
import time
import urllib.request
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import reactive_blocks as gr

if TYPE_CHECKING:
    from tests.conftest import Apps


def _greet(name: str) -> str:
    return f"Hello {name}!"


def test_config_holds_the_layout_tree_with_consecutive_tabs_in_one_tabs() -> None:
    """The config's tree nests every layout as declared, bare tabs sharing one Tabs."""
    with gr.Blocks(title="Shapes") as demo:
        intro = gr.Markdown("Intro")
        with gr.Row() as row:
            name = gr.Textbox(label="Name")
            with gr.Column() as column:
                greeting = gr.Textbox(label="Greeting")
        with gr.Tab("One") as one:
            speed = gr.Slider(0, 10, label="Speed")
        with gr.Tab("Two") as two, gr.Accordion("More") as more, gr.Group() as group:
            run = gr.Button("Go")
        name.submit(_greet, name, greeting)

    config = demo.spec().config
    tabs = one.parent

    assert isinstance(tabs, gr.Tabs)
    assert two.parent is tabs
    assert config["title"] == "Shapes"
    assert config["root"] == {
        "id": demo.id,
        "children": [
            {"id": intro.id},
            {
                "id": row.id,
                "children": [
                    {"id": name.id},
                    {"id": column.id, "children": [{"id": greeting.id}]},
                ],
            },
            {
                "id": tabs.id,
                "children": [
                    {"id": one.id, "children": [{"id": speed.id}]},
                    {
                        "id": two.id,
                        "children": [
                            {
                                "id": more.id,
                                "children": [
                                    {"id": group.id, "children": [{"id": run.id}]}
                                ],
                            }
                        ],
                    },
                ],
            },
        ],
    }
    assert {int(k): b["type"] for k, b in config["blocks"].items()} == {
        demo.id: "blocks",
        intro.id: "markdown",
        row.id: "row",
        name.id: "textbox",
        column.id: "column",
        greeting.id: "textbox",
        tabs.id: "tabs",
        one.id: "tab",
        speed.id: "slider",
        two.id: "tab",
        more.id: "accordion",
        group.id: "group",
        run.id: "button",
    }
    base = {"visible": True, "elem_id": None, "elem_classes": []}
    assert config["blocks"][str(one.id)]["props"] == {
        **base,
        "label": "One",
        "tab_id": one.id,
        "interactive": True,
    }
    assert config["blocks"][str(more.id)]["props"] == {
        **base,
        "label": "More",
        "open": True,
    }
    expected = {
        "id": 0,
        "targets": [[name.id, "submit"]],
        "inputs": [name.id],
        "outputs": [greeting.id],
        "trigger_mode": "once",
        "show_progress": "full",
        "api_name": "_greet",
        "show_api": True,
    }
    [listener] = config["listeners"]
    assert {key: listener[key] for key in expected} == expected


def test_interactive_resolves_from_how_listeners_use_each_component() -> None:
    """Unset interactive means editable unless the component is only ever an output."""
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        middle = gr.Textbox(label="Middle")
        sink = gr.Textbox(label="Sink")
        unused = gr.Textbox(label="Unused")
        locked = gr.Textbox(label="Locked", interactive=False)
        source.change(_greet, source, middle)
        middle.change(_greet, middle, sink)
        locked.change(_greet, locked, sink)

    blocks = demo.spec().config["blocks"]
    resolved = {
        blocks[str(c.id)]["props"]["label"]: blocks[str(c.id)]["props"]["interactive"]
        for c in (source, middle, sink, unused, locked)
    }

    assert resolved == {
        "Source": True,
        "Middle": True,
        "Sink": False,
        "Unused": True,
        "Locked": False,
    }


def test_api_names_default_to_the_function_name_and_are_made_unique() -> None:
    """A repeated name gets _1, _2 suffixes; api_name=False and fn=None get none."""

    def update(text: str) -> str:
        return text

    with gr.Blocks() as demo:
        text = gr.Textbox()
        out = gr.Textbox()
        button = gr.Button()
        button.click(update, text, out)
        button.click(update, text, out)
        button.click(lambda t: t, text, out)
        button.click(update, text, out, api_name="/custom")
        button.click(update, text, out, api_name="update")
        button.click(update, text, out, api_name=False)
        button.click(None, text, out)

    names = [ls["api_name"] for ls in demo.spec().config["listeners"]]

    assert names == ["update", "update_1", "lambda", "custom", "update_2", None, None]


def test_a_given_api_name_is_kept_as_written_and_a_taken_one_is_warned_of(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Names that differ only in punctuation stay apart; a clash says what it chose."""
    with gr.Blocks() as demo:
        text = gr.Textbox()
        button = gr.Button()
        button.click(str.upper, text, text, api_name="my-endpoint")
        button.click(str.lower, text, text, api_name="my_endpoint")
        button.click(str.title, text, text, api_name="ünï 名前")
        button.click(str.strip, text, text, api_name="my_endpoint")

    names = [ls["api_name"] for ls in demo.spec().config["listeners"]]

    assert names == ["my-endpoint", "my_endpoint", "ünï 名前", "my_endpoint_1"]
    assert "api_name 'my_endpoint' is already taken; using 'my_endpoint_1'" in (
        caplog.text
    )


@pytest.mark.parametrize("api_name", ["", "/", "a/b"])
def test_an_api_name_that_cannot_be_a_path_is_refused(api_name: str) -> None:
    with gr.Blocks(), pytest.raises(gr.DeclarationError, match="without '/'"):
        gr.Button().click(str.upper, None, None, api_name=api_name)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"theme": "soft"},
            "Blocks: parameter 'theme' is not supported yet; style the page with css=",
            id="theme",
        ),
        pytest.param(
            {"delete_cache": (60, 60)},
            "Blocks: parameter 'delete_cache' is not supported yet",
            id="delete_cache",
        ),
    ],
)
def test_unsupported_blocks_parameters_raise(
    options: dict[str, Any], message: str
) -> None:
    """Blocks refuses a parameter it does not implement, naming it."""
    with pytest.raises(gr.NotSupportedError) as caught:
        gr.Blocks(**options)

    assert isinstance(caught.value, NotImplementedError)
    assert str(caught.value) == message


def test_unsupported_launch_parameter_raises_before_serving(launch: Apps) -> None:
    """launch(ssl_keyfile=...) raises NotSupportedError and serves nothing."""
    with gr.Blocks() as demo:
        gr.Textbox()

    with pytest.raises(gr.NotSupportedError) as caught:
        launch(demo, ssl_keyfile="key.pem")

    assert str(caught.value) == "launch: parameter 'ssl_keyfile' is not supported yet"
    assert demo.local_url is None


def test_unsupported_launch_parameter_at_its_default_is_accepted(
    launch: Apps,
) -> None:
    """launch(ssl_keyfile=None) asks for nothing unsupported, so the app is served."""
    with gr.Blocks() as demo:
        gr.Textbox()

    url = launch(demo, ssl_keyfile=None)

    assert url == demo.local_url
    assert url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("variable", "value", "parameter"),
    [
        ("GRADIO_ALLOWED_PATHS", "/srv/files", "allowed_paths"),
        ("GRADIO_BLOCKED_PATHS", "/srv/secret", "blocked_paths"),
        ("GRADIO_ROOT_PATH", "/app", "root_path"),
        ("GRADIO_SSR_MODE", "True", "ssr_mode"),
    ],
)
@pytest.mark.parametrize("passed_unset", [False, True])
def test_a_variable_setting_an_unsupported_parameter_is_refused(
    launch: Apps,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    parameter: str,
    passed_unset: bool,
) -> None:
    """Set in the environment, a parameter we lack raises as when it is passed.

    A parameter passed as None leaves the variable in charge, as in Gradio.
    """
    monkeypatch.setenv(variable, value)
    with gr.Blocks() as demo:
        gr.Textbox()

    with pytest.raises(gr.NotSupportedError) as caught:
        launch(demo, **({parameter: None} if passed_unset else {}))

    assert str(caught.value) == (
        f"launch: parameter '{parameter}' is not supported yet; it was set by "
        f"{variable}={value!r}"
    )
    assert demo.local_url is None


def test_variables_at_their_defaults_and_passed_defaults_are_accepted(
    launch: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty root path, SSR off, or ssr_mode=False passed over the variable."""
    monkeypatch.setenv("GRADIO_ROOT_PATH", "")
    monkeypatch.setenv("GRADIO_SSR_MODE", "true")
    with gr.Blocks() as demo:
        gr.Textbox()

    assert launch(demo, ssr_mode=False) == demo.local_url


def test_launch_adds_css_script_and_head_to_the_page_as_gradio_6_does(
    launch: Apps, tmp_path: Path
) -> None:
    """launch(css=, head=, js=) reach the page after what Blocks was given."""
    more = tmp_path / "more.css"
    more.write_text(".extra { color: red }")
    with gr.Blocks(css=".own { color: blue }", head="<meta name='own'>") as demo:
        gr.Textbox()

    url = launch(
        demo,
        css=".launched { color: green }",
        css_paths=more,
        head="<meta name='launched'>",
        js="() => 1",
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode()

    own, launched, extra = (
        page.index(".own {"),
        page.index(".launched {"),
        page.index(".extra {"),
    )
    assert own < launched < extra
    assert page.index("<meta name='own'>") < page.index("<meta name='launched'>")
    assert demo.spec().page.css == ".own { color: blue }"  # the app is unchanged


def test_a_page_script_given_to_blocks_and_launch_is_refused() -> None:
    with gr.Blocks(js="() => 1") as demo:
        gr.Textbox()

    with pytest.raises(gr.DeclarationError, match="js was given to both"):
        demo.page_with(js="() => 2")


def test_gradio_debug_keeps_launch_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    """GRADIO_DEBUG=1 blocks even with prevent_thread_lock=True, until close()."""
    monkeypatch.setenv("GRADIO_DEBUG", "1")
    with gr.Blocks() as demo:
        gr.Textbox()
    launching = threading.Thread(
        target=lambda: demo.launch(
            server_name="127.0.0.1", server_port=0, prevent_thread_lock=True, quiet=True
        )
    )
    launching.start()
    try:
        deadline = time.monotonic() + 10
        while demo.local_url is None and time.monotonic() < deadline:
            time.sleep(0.01)
        with urllib.request.urlopen(demo.local_url, timeout=10) as page:
            assert page.status == 200
        launching.join(0.5)
        blocked = launching.is_alive()
    finally:
        demo.close()
        launching.join(10)

    assert blocked
    assert not launching.is_alive()


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "2"])
def test_queue_refuses_a_default_concurrency_limit_that_runs_nothing(
    limit: object,
) -> None:
    """A default limit of 0 would leave every default listener waiting forever."""
    with pytest.raises(gr.DeclarationError) as caught:
        gr.Blocks().queue(default_concurrency_limit=limit)  # type: ignore[arg-type]

    assert str(caught.value) == (
        f"queue default_concurrency_limit must be a positive int or None, got {limit!r}"
    )


def test_a_function_that_cannot_take_its_inputs_is_warned_of_where_declared() -> None:
    """Too few or too many parameters for the inputs warn at the listener's line."""
    with gr.Blocks():
        name, out = gr.Textbox(), gr.Textbox()
        button = gr.Button()
        with pytest.warns(UserWarning) as caught:
            button.click(lambda a, b: a + b, name, out)
            button.click(lambda: "x", name, out)

            @button.click(inputs=[name, out], outputs=out)
            def echo(text: str) -> str:
                return text

    assert [str(w.message) for w in caught] == [
        "listener function '<lambda>' takes at least 2 arguments but is given 1 "
        "input; it will fail when it runs",
        "listener function '<lambda>' takes no arguments but is given 1 input; it "
        "will fail when it runs",
        "listener function 'echo' takes at most 1 argument but is given 2 inputs; "
        "it will fail when it runs",
    ]
    assert {w.filename for w in caught} == {__file__}


def test_a_callable_value_that_cannot_take_its_inputs_is_warned_of() -> None:
    """value=fn with inputs= warns as a listener does, at the component's line."""
    with gr.Blocks():
        amount = gr.Slider()
        with pytest.warns(UserWarning) as caught:
            gr.Textbox(value=lambda: "x", inputs=[amount])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            gr.Textbox(value=lambda x: f"{x}", inputs=amount)
            gr.State(value=list)

    assert [str(w.message) for w in caught] == [
        "Textbox value function '<lambda>' takes no arguments but is given 1 "
        "input; it will fail when it runs"
    ]
    assert caught[0].filename == __file__


def test_functions_that_can_take_their_inputs_are_not_warned_of() -> None:
    """Defaults, *args, a dict of inputs and builtins are all fine."""
    with gr.Blocks():
        name, out = gr.Textbox(), gr.Textbox()
        button = gr.Button()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            button.click(lambda a, progress=gr.Progress(): a, name, out)
            button.click(lambda *texts: texts[0], [name, out], out)
            button.click(lambda values: values[name], {name, out}, out)
            button.click(str.upper, name, out)
            button.click(print, [name, out], None)


def test_unknown_trigger_mode_names_the_allowed_ones() -> None:
    """An unknown trigger_mode raises a DeclarationError listing the valid modes."""
    with gr.Blocks() as demo:
        button = gr.Button()
        with pytest.raises(gr.DeclarationError) as caught:
            button.click(_greet, trigger_mode="sometimes")

    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "trigger_mode='sometimes' is not one of once, multiple, always_last"
    )
    assert demo.listeners == []


async def test_inputs_given_as_a_set_reach_the_function_as_a_dict(
    launch: Apps,
) -> None:
    """With a set of inputs, the function gets one dict keyed by component."""
    received: list[dict[Any, Any]] = []
    with gr.Blocks() as demo:
        first = gr.Textbox(label="First")
        second = gr.Textbox(label="Second")
        joined = gr.Textbox(label="Joined")
        button = gr.Button("Join")

        def join(values: dict[Any, Any]) -> str:
            received.append(values)
            return f"{values[first]}+{values[second]}"

        button.click(join, {first, second}, joined)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(first.id, "left")
        await client.set(second.id, "right")
        await client.trigger(button.id, "click")
        await client.settle()

        assert received == [{first: "left", second: "right"}]
        assert client.values[joined.id] == "left+right"


def test_streaming_image_needs_the_webcam_as_its_only_source() -> None:
    """streaming=True with the default or a mixed source list is a declaration error."""
    with gr.Blocks():
        for sources in (None, ["upload", "webcam"]):
            with pytest.raises(gr.DeclarationError) as caught:
                gr.Image(sources=sources, streaming=True)

            given = sources or ["upload", "webcam", "clipboard"]
            assert str(caught.value) == (
                "Image streaming=True needs sources=['webcam']: a stream comes from "
                f"the webcam alone, got sources={given!r}"
            )


def test_unknown_image_source_is_refused() -> None:
    """A source other than upload, webcam or clipboard names the allowed ones."""
    with pytest.raises(gr.DeclarationError) as caught:
        gr.Image(sources=["microphone"])

    assert str(caught.value) == (
        "Image sources must be a non-empty list of upload, webcam, clipboard; "
        "got ['microphone']"
    )


def test_stream_listener_needs_a_streaming_image() -> None:
    """.stream on an image declared without streaming=True raises at the call."""
    with gr.Blocks() as demo:
        still = gr.Image(label="Still")
        out = gr.Image()
        with pytest.raises(gr.DeclarationError) as caught:
            still.stream(_greet, still, out)

    assert str(caught.value) == (
        "Image 'Still'.stream() needs an image that streams: declare it as "
        "gr.Image(sources=['webcam'], streaming=True)"
    )
    assert demo.listeners == []


@pytest.mark.parametrize("every", [0, -0.1, True, "fast", float("inf")])
def test_stream_every_must_be_a_positive_number(every: Any) -> None:
    """stream_every that is not a positive, finite number of seconds is refused."""
    with gr.Blocks():
        webcam = gr.Image(sources=["webcam"], streaming=True)
        with pytest.raises(gr.DeclarationError) as caught:
            webcam.stream(_greet, webcam, stream_every=every)

    assert str(caught.value) == (
        f"stream_every must be a positive number of seconds, got {every!r}"
    )


def test_stream_listener_config_carries_its_pace_and_defaults() -> None:
    """Stream listeners default to always_last, hidden progress; stream_every is sent."""
    with gr.Blocks() as demo:
        webcam = gr.Image(sources="webcam", streaming=True, mirror_webcam=False)
        out = gr.Image()
        webcam.stream(_greet, webcam, out, stream_every=0.1, time_limit=30)
        out.change(_greet, out, None)

    config = demo.spec().config
    stream, change = config["listeners"]

    assert stream["targets"] == [[webcam.id, "stream"]]
    assert stream["trigger_mode"] == "always_last"
    assert stream["show_progress"] == "hidden"
    assert stream["stream_every"] == 0.1
    assert change["stream_every"] == 0.5
    assert demo.listeners[0].time_limit == 30
    props = config["blocks"][str(webcam.id)]["props"]
    assert (props["sources"], props["streaming"], props["mirror_webcam"]) == (
        ["webcam"],
        True,
        False,
    )
    assert config["blocks"][str(out.id)]["props"]["sources"] == [
        "upload",
        "webcam",
        "clipboard",
    ]


def test_like_user_message_and_trigger_after_stay_unsupported() -> None:
    """The chat-only listener options still raise NotSupportedError when set."""
    with gr.Blocks():
        button = gr.Button()
        for option, value in (("like_user_message", True), ("trigger_after", 1.0)):
            with pytest.raises(gr.NotSupportedError) as caught:
                button.click(_greet, **{option: value})

            assert str(caught.value) == (
                f"event listener: parameter '{option}' is not supported yet"
            )


def test_gradio_parameters_at_their_defaults_change_nothing() -> None:
    """Gradio parameters not built yet, passed at their defaults, are accepted."""
    with gr.Blocks() as demo:
        plain = [gr.Textbox(), gr.Button("Go"), gr.Image(), gr.Row(), gr.Tabs()]
        given = [
            gr.Textbox(container=True, scale=None, min_width=160, key=None),
            gr.Button("Go", icon=None, scale=None, preserved_by_key="value"),
            gr.Image(webcam_options=None, container=True, min_width=160),
            gr.Row(height=None, scale=None, key=None, show_progress=False),
            gr.Tabs(selected=None, preserved_by_key=None),
        ]

    assert [b.props() for b in given] == [b.props() for b in plain]
    assert all(b.parent is demo for b in given)


def test_gradio_5_names_at_their_defaults_are_accepted_too() -> None:
    """The reference is Gradio 5's: its show_*_button names are no typos."""
    with gr.Blocks():
        plain = [gr.Textbox(), gr.Chatbot(), gr.Image()]
        given = [
            gr.Textbox(show_copy_button=False),
            gr.Chatbot(
                show_copy_button=False, bubble_full_width=None, resizeable=False
            ),
            gr.Image(show_share_button=None, webcam_constraints=None),
        ]
        gr.Button().click(lambda: None, api_description=None, show_progress_on=None)

    assert [b.props() for b in given] == [b.props() for b in plain]


def test_a_gradio_5_button_the_page_lacks_is_refused_even_at_its_default() -> None:
    """Gradio 5 shows a download button on images by default; the page has none."""
    with gr.Blocks(), pytest.raises(gr.NotSupportedError) as caught:
        gr.Image(show_download_button=True)

    assert str(caught.value) == (
        "Image: parameter 'show_download_button' is not supported yet; the image "
        "shows no download button"
    )


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        pytest.param(
            lambda: gr.Textbox(scale=2),
            "Textbox: parameter 'scale' is not supported yet",
            id="component",
        ),
        pytest.param(
            lambda: gr.Tabs(selected=0),
            "Tabs: parameter 'selected' is not supported yet",
            id="layout",
        ),
        pytest.param(
            lambda: gr.Image(format="webp"),
            "Image: parameter 'format' is not supported yet; images are sent as PNG",
            id="default-unlike-gradio",
        ),
    ],
)
def test_gradio_parameters_not_at_their_defaults_raise(
    declare: Any, message: str
) -> None:
    """Another value, or a default the page does not follow, raises, naming both."""
    with gr.Blocks() as demo, pytest.raises(gr.NotSupportedError) as caught:
        declare()

    assert str(caught.value) == message
    assert demo.children == []


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda: gr.Button(variant="huggingface"),
            "Button: parameter 'variant' is not supported yet; "
            "variant='huggingface' is not built: use primary, secondary or stop",
        ),
        (
            lambda: gr.Chatbot(type=None),
            "Chatbot: parameter 'type' is not supported yet; only type='messages' is "
            "built, got None (Gradio 5's default, None, means 'tuples')",
        ),
        (
            lambda: gr.Chatbot(type="tuples"),
            "Chatbot: parameter 'type' is not supported yet; only type='messages' is "
            "built, got 'tuples' (Gradio 5's default, None, means 'tuples')",
        ),
    ],
)
def test_a_gradio_choice_not_built_is_not_supported_yet(
    declare: Any, message: str
) -> None:
    """Gradio's own values of a parameter are missing features, not mistakes."""
    with gr.Blocks(), pytest.raises(gr.NotSupportedError) as caught:
        declare()

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda: gr.Button(size="zz"), "Button size='zz' is not one of sm, md, lg"),
        (
            lambda: gr.Row(variant="zz"),
            "Row variant='zz' is not one of default, panel, compact",
        ),
        (
            lambda: gr.Column(variant="card"),
            "Column variant='card' is not one of default, panel, compact",
        ),
    ],
)
def test_a_choice_the_page_does_not_know_is_refused(declare: Any, message: str) -> None:
    """The page would fall back to its default look without a word."""
    with gr.Blocks(), pytest.raises(ValueError) as caught:
        declare()

    assert str(caught.value) == message


def test_visible_hidden_hides_the_block_and_other_values_are_refused() -> None:
    """Gradio's visible="hidden" keeps a block in the page unseen: False here."""
    with gr.Blocks():
        box = gr.Textbox(visible="hidden")
        row = gr.Row(visible="hidden")
        with pytest.raises(ValueError) as caught:
            gr.Textbox(visible="no")

    assert (box.props()["visible"], row.props()["visible"]) == (False, False)
    assert str(caught.value) == "Textbox visible='no' is not True, False or 'hidden'"


def test_how_a_listener_follows_another_is_not_a_user_option() -> None:
    """after= is how .then chains listeners; passed by a user, it is a typo."""
    with gr.Blocks(), pytest.raises(TypeError) as caught:
        gr.Button().click(lambda: None, after=(0, "then"))

    assert str(caught.value) == (
        "event listener got an unexpected keyword argument 'after'"
    )


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        pytest.param(
            lambda: gr.Textbox(foo=1),
            "Textbox got an unexpected keyword argument 'foo'",
            id="component",
        ),
        pytest.param(
            lambda: gr.Accordion("More", hieght=300),
            "Accordion got an unexpected keyword argument 'hieght'",
            id="layout",
        ),
    ],
)
def test_a_name_gradio_does_not_have_is_a_type_error(
    declare: Any, message: str
) -> None:
    """A misspelt parameter is a TypeError naming the class, not a missing feature."""
    with gr.Blocks(), pytest.raises(TypeError) as caught:
        declare()

    assert not isinstance(caught.value, gr.NotSupportedError)
    assert str(caught.value) == message


def test_a_gradio_name_not_built_is_an_attribute_error_that_says_so() -> None:
    """gr.Dropdown raises NotBuiltError, which hasattr and getattr treat as missing."""
    with pytest.raises(gr.NotBuiltError) as caught:
        gr.Dropdown  # noqa: B018

    assert isinstance(caught.value, AttributeError)
    assert str(caught.value).startswith(
        "gr.Dropdown is part of Gradio's API but not built in reactive_blocks yet; "
        "of Gradio's names these are built: Accordion, Blocks, Button, "
    )
    assert not hasattr(gr, "Dropdown")
    assert getattr(gr, "on", None) is None


def test_a_gradio_event_not_built_says_so_and_names_those_built() -> None:
    """Textbox.select raises NotBuiltError; a name Gradio lacks stays plain."""
    with gr.Blocks():
        box = gr.Textbox()

    with pytest.raises(gr.NotBuiltError) as caught:
        box.select  # noqa: B018
    with pytest.raises(AttributeError) as plain:
        box.nothing  # noqa: B018

    assert str(caught.value) == (
        "Textbox.select is part of Gradio's API but not built in reactive_blocks "
        "yet; of its events these are built: change, input, submit "
        "(docs/limitations.md lists what is missing)"
    )
    assert not isinstance(plain.value, gr.NotBuiltError)
    assert hasattr(box, "change") and not hasattr(box, "select")


def test_a_name_gradio_does_not_have_either_is_a_plain_attribute_error() -> None:
    """gr.NoSuchThing raises Python's own AttributeError."""
    with pytest.raises(AttributeError) as caught:
        gr.NoSuchThing  # noqa: B018

    assert type(caught.value) is AttributeError
    assert (
        str(caught.value) == "module 'reactive_blocks' has no attribute 'NoSuchThing'"
    )
