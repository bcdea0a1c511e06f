"""``Blocks``: the app, its listeners, and the entry points to serve it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from reactive_blocks.declaration import _context
from reactive_blocks.declaration._block import BlockContext
from reactive_blocks.declaration._listeners import (
    Dependency,
    Listener,
    declare_listener,
)
from reactive_blocks.declaration._spec import AppSpec, PageOptions, QueueOptions
from reactive_blocks.errors import DeclarationError, NotSupportedError
from reactive_blocks.log import declaration_logger as log

if TYPE_CHECKING:
    pass

Launcher = Callable[..., Any]


class Blocks(BlockContext):
    """An app: a layout of components and the listeners that connect them.

    Use it as a context; the blocks created inside are its layout. Building
    an app starts no thread and no loop; ``launch()`` serves it.

    Example:
        >>> import reactive_blocks as gr
        >>> with gr.Blocks(title="Hello") as demo:
        ...     name = gr.Textbox(label="Name")
        ...     greeting = gr.Textbox(label="Greeting")
        ...     name.change(lambda n: f"Hello {n}!", name, greeting)
        >>> demo.launch()  # doctest: +SKIP

    Args:
        theme: Not supported yet; must be None.
        analytics_enabled: Accepted for compatibility. reactive_blocks never
            sends telemetry anywhere, whatever this says.
        mode: A name for the kind of app, reported in the config.
        title: The browser tab's title.
        css: CSS added to the page.
        css_paths: Files of CSS added to the page after ``css``.
        js: A JavaScript function, as source text, run once when the page loads.
        head: HTML added to the page's ``<head>``.
        head_paths: Files of HTML added to the ``<head>`` after ``head``.
        fill_height: Whether top-level children stretch to the window height.
        fill_width: Whether the app uses the full width of the window.
        delete_cache: Not supported yet; must be None.
    """

    block_type: ClassVar[str] = "blocks"

    #: Serves an app; installed by the top-level package so that this layer
    #: never imports the transport.
    launcher: ClassVar[Launcher | None] = None

    def __init__(
        self,
        theme: Any = None,
        analytics_enabled: bool | None = None,
        mode: str = "blocks",
        title: str = "Gradio",
        css: str | None = None,
        css_paths: str | Path | list[str | Path] | None = None,
        js: str | None = None,
        head: str | None = None,
        head_paths: str | Path | list[str | Path] | None = None,
        fill_height: bool = False,
        fill_width: bool = False,
        delete_cache: tuple[int, int] | None = None,
    ) -> None:
        if theme is not None:
            raise NotSupportedError("Blocks", "theme", "style the page with css=")
        if delete_cache is not None:
            raise NotSupportedError("Blocks", "delete_cache")
        if _context.current() is not None:
            raise NotSupportedError("Blocks", "nesting a Blocks inside another")

        self.analytics_enabled = analytics_enabled
        self.mode = mode
        self.page = PageOptions(
            title=title,
            css=_join_texts(css, css_paths, "css_paths"),
            js=js,
            head=_join_texts(head, head_paths, "head_paths"),
            fill_height=fill_height,
            fill_width=fill_width,
        )
        self.queue_options = QueueOptions.from_environment()
        self.listeners: list[Listener] = []
        self._api_names: set[str] = set()
        self.server: Any = None
        super().__init__(render=False)
        self.root = self

    def page_with(
        self,
        *,
        css: str | None = None,
        css_paths: str | Path | list[str | Path] | None = None,
        js: str | None = None,
        head: str | None = None,
        head_paths: str | Path | list[str | Path] | None = None,
    ) -> PageOptions:
        """This app's page with more CSS, script and head HTML, as ``launch()`` adds.

        Gradio 6 takes these in ``launch()``. CSS and head HTML follow what
        ``Blocks`` was given; a page has one load script, so ``js`` given to
        both is refused.
        """
        if js is not None and self.page.js is not None:
            raise DeclarationError(
                "js was given to both Blocks and launch(); give it once"
            )
        more_css = _join_texts(css, css_paths, "css_paths")
        more_head = _join_texts(head, head_paths, "head_paths")
        return dataclasses.replace(
            self.page,
            css="\n".join(t for t in (self.page.css, more_css) if t),
            js=self.page.js if js is None else js,
            head="\n".join(t for t in (self.page.head, more_head) if t),
        )

    def unique_api_name(
        self, api_name: str | Literal[False] | None, fn: Callable[..., Any] | None
    ) -> str | None:
        """The listener's endpoint name: ``api_name`` or the fn's, made unique.

        A given name is kept as written (a leading ``/`` dropped), as Gradio
        keeps it; a name taken from the function loses its punctuation but
        ``-`` and ``_`` (``<lambda>`` becomes ``lambda``). A name already
        taken gets a ``_1``, ``_2``… suffix, with a warning when it was given.
        """
        if api_name is False or (api_name is None and fn is None):
            return None
        if api_name is None:
            own = getattr(fn, "__name__", None) or type(fn).__name__
            base = "".join(c for c in own if c.isalnum() or c in "-_") or "predict"
        else:
            base = str(api_name).lstrip("/")
            if not base or "/" in base:
                raise DeclarationError(
                    f"api_name={api_name!r} must be a non-empty name without '/'"
                )

        name, n = base, 0
        while name in self._api_names:
            n += 1
            name = f"{base}_{n}"
        if api_name is not None and name != base:
            log.warning("api_name %r is already taken; using %r", base, name)
        self._api_names.add(name)
        return name

    def load(
        self,
        fn: Callable[..., Any] | Literal["decorator"] | None = "decorator",
        inputs: Any = None,
        outputs: Any = None,
        **options: Any,
    ) -> Any:
        """Run ``fn`` when a tab's session starts (after the page connects).

        Takes the same options as any event listener.
        """
        if fn == "decorator":

            def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
                declare_listener(
                    self, ((self.id, "load"),), func, inputs, outputs, **options
                )
                return func

            return decorator
        return declare_listener(
            self, ((self.id, "load"),), fn, inputs, outputs, **options
        )

    def unload(self, fn: Callable[[], Any]) -> Dependency:
        """Run ``fn()`` once when a tab's session ends, however it ends.

        It runs after the session's pending work is cancelled; its return value
        is not used.
        """
        return declare_listener(
            self, ((self.id, "unload"),), fn, api_name=False, queue=False
        )

    def queue(
        self,
        status_update_rate: float | Literal["auto"] = "auto",
        api_open: bool | None = None,
        max_size: int | None = None,
        default_concurrency_limit: int | Literal["not_set"] | None = "not_set",
    ) -> Blocks:
        """Set how the queue admits and runs events.

        Args:
            status_update_rate: ``"auto"`` pushes new queue positions to
                waiting clients as the queue moves (at most every 0.1 s);
                a number of seconds pushes them at most that often.
            api_open: True opens the app's HTTP API routes: ``POST
                api/<api_name>`` runs a listener's function once, directly,
                skipping the queue, and ``GET api`` lists the endpoints (see
                docs/protocol.md, "HTTP API routes"). False closes them: they
                answer 403 and listeners are called through a session. None
                keeps the current setting, closed unless opened before.
            max_size: Events the queue holds at once; a trigger beyond it is
                refused with a message to that client only. None: no limit.
            default_concurrency_limit: The concurrency limit of listeners
                that say ``"default"``; 1 unless set here or by the
                ``GRADIO_DEFAULT_CONCURRENCY_LIMIT`` variable.
        """
        if status_update_rate != "auto" and (
            isinstance(status_update_rate, bool)
            or not isinstance(status_update_rate, (int, float))
            or status_update_rate <= 0
        ):
            raise DeclarationError(
                "queue status_update_rate must be 'auto' or a positive number of "
                f"seconds, got {status_update_rate!r}"
            )
        if max_size is not None and (not isinstance(max_size, int) or max_size < 0):
            raise DeclarationError(
                f"queue max_size must be a non-negative int, got {max_size!r}"
            )

        limit = self.queue_options.default_concurrency_limit
        if default_concurrency_limit != "not_set":
            if default_concurrency_limit is not None and (
                not isinstance(default_concurrency_limit, int)
                or isinstance(default_concurrency_limit, bool)
                or default_concurrency_limit < 1
            ):
                raise DeclarationError(
                    "queue default_concurrency_limit must be a positive int or "
                    f"None, got {default_concurrency_limit!r}"
                )
            limit = default_concurrency_limit
        opened = self.queue_options.api_open if api_open is None else bool(api_open)
        self.queue_options = QueueOptions(
            max_size=max_size,
            default_concurrency_limit=limit,
            status_update_rate=status_update_rate,
            api_open=opened,
        )
        return self

    def integrate(
        self, comet_ml: Any = None, wandb: Any = None, mlflow: Any = None
    ) -> None:
        """Not supported yet: integrations with experiment trackers."""
        raise NotSupportedError("Blocks", "integrate")

    def spec(self, page: PageOptions | None = None) -> AppSpec:
        """The immutable description of this app that the runtime serves.

        ``page`` replaces the app's own page options (see ``page_with``).
        """
        return AppSpec.build(self, page)

    def launch(self, **options: Any) -> Any:
        """Serve the app; see ``reactive_blocks.transport.launch`` for options.

        Prints ``Running on local URL:  http://…`` and, unless
        ``prevent_thread_lock=True``, blocks until interrupted.
        """
        if Blocks.launcher is None:
            raise RuntimeError(
                "import reactive_blocks, not its submodules, to launch apps"
            )
        return Blocks.launcher(self, **options)

    def close(self) -> None:
        """Stop the server and end every session cleanly (``unload`` fires)."""
        if self.server is not None:
            self.server.close()
            self.server = None

    @property
    def local_url(self) -> str | None:
        """The URL the app is served on, once launched."""
        return self.server.local_url if self.server is not None else None

    @property
    def server_port(self) -> int | None:
        """The port the app is served on, once launched."""
        return self.server.port if self.server is not None else None


def _join_texts(text: str | None, paths: Any, what: str) -> str:
    """``text`` then each file of ``paths``, read now, joined by newlines."""
    parts = [text] if text else []
    if paths is None:
        return "\n".join(parts)
    for path in paths if isinstance(paths, list) else [paths]:
        try:
            parts.append(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DeclarationError(
                f"Blocks {what}: cannot read {path}: {exc}"
            ) from None
    return "\n".join(parts)


def default_concurrency_from_environment() -> int | None:
    """``GRADIO_DEFAULT_CONCURRENCY_LIMIT``: an int, or ``None``; 1 when unset."""
    raw = os.environ.get("GRADIO_DEFAULT_CONCURRENCY_LIMIT")
    if raw is None or raw.strip() == "":
        return 1
    if raw.strip().lower() == "none":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise DeclarationError(
            f"GRADIO_DEFAULT_CONCURRENCY_LIMIT={raw!r} is not an int or 'None'"
        ) from None
    if value < 1:
        raise DeclarationError("GRADIO_DEFAULT_CONCURRENCY_LIMIT must be at least 1")
    return value
