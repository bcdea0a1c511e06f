"""Which files a listener's returned path may send to the page.

A function that returns a path has the server read that file and send it to
whoever is looking. Where the path comes from the user, any file the server
can read would leak, so only the files Gradio serves by default are read:
those in the current working directory, except dotfiles, and those in the
system's temp directory (where uploads passed as paths are written). Symbolic
links are followed first, so a link cannot reach out of either. Gradio's
``allowed_paths`` and ``blocked_paths`` are not supported yet.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def servable_path(value: str | os.PathLike[str], owner: str) -> Path:
    """``value`` made absolute and resolved, if a listener may send that file.

    Raises:
        ValueError: The file lies outside both directories, or is a dotfile
            in the working directory; the message says where files may be.
    """
    path = Path(os.path.abspath(value)).resolve()
    working = Path.cwd().resolve()
    temporary = Path(tempfile.gettempdir()).resolve()

    if path.is_relative_to(temporary):
        return path
    if path.is_relative_to(working):
        if path.name.startswith("."):
            raise ValueError(
                f"{owner} cannot send {path}: dotfiles are never sent, as they "
                "often hold secrets"
            )
        return path
    raise ValueError(
        f"{owner} cannot send {path}: a function may return files in the "
        f"working directory ({working}) or the temp directory ({temporary}) only"
    )
