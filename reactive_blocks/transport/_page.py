"""The HTML page every tab loads; the app itself arrives over the socket."""

from __future__ import annotations

import html

from reactive_blocks.declaration import PageOptions


def render_page(page: PageOptions, *, favicon: bool) -> str:
    """The page's HTML: title, the bundle, the app's CSS and head additions."""
    icon = '<link rel="icon" href="favicon">' if favicon else ""
    css = f"<style>{page.css}</style>" if page.css else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(page.title)}</title>{icon}"
        '<link rel="stylesheet" href="static/app.css">'
        f"{css}{page.head}</head>"
        '<body><div id="app"></div><script src="static/app.js"></script>'
        "</body></html>"
    )
