"""Declaring apps: the config they produce and the mistakes they refuse."""

from __future__ import annotations

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

    assert names == ["update", "update_1", "_lambda_", "custom", "update_2", None, None]


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
