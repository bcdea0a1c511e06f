"""Which files a listener's returned path may send to the page.

A function that returns a path has the server read that file and send it to
whoever is looking. Where the path comes from the user, any file the server
can read would leak, so only the files Gradio serves by default are read:
those in the current working directory, in the system's temp directory, and
in ``GRADIO_TEMP_DIR`` when it is set (where uploads passed as paths are
written). Symbolic links are followed first, so a link cannot reach out of
them. Hidden files and anything in a hidden directory below them
(``.env``, ``.git/config``) are never sent; Gradio refuses only dotfiles of
the working directory. Only regular files are read: a named pipe would hold
the reader until someone wrote to it. Gradio's ``allowed_paths`` and
``blocked_paths`` are not supported yet.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def upload_directory() -> Path:
    """Where uploads handed to functions as paths are written.

    ``GRADIO_TEMP_DIR`` when set, as in Gradio, else the system's temp
    directory; created when missing.
    """
    chosen = os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()
    directory = Path(chosen)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def servable_path(value: str | os.PathLike[str], owner: str) -> Path:
    """``value`` made absolute and resolved, if a listener may send that file.

    Raises:
        ValueError: The path is not a regular file, lies outside the
            directories files may come from, or is hidden; the message says
            where files may be.
    """
    try:
        path = Path(os.path.abspath(value)).resolve()
    except (OSError, ValueError) as exc:  # a NUL byte, a loop of links
        raise ValueError(f"{owner} cannot send {value!r}: {exc}") from None
    roots = {Path.cwd().resolve(), Path(tempfile.gettempdir()).resolve()}
    if os.environ.get("GRADIO_TEMP_DIR"):
        roots.add(Path(os.environ["GRADIO_TEMP_DIR"]).resolve())

    inside = [root for root in roots if path.is_relative_to(root)]
    if not inside:
        places = " or ".join(sorted(str(root) for root in roots))
        raise ValueError(
            f"{owner} cannot send {path}: a function may return files in {places} only"
        )
    if all(_hidden(path.relative_to(root)) for root in inside):
        raise ValueError(
            f"{owner} cannot send {path}: hidden files and directories are never "
            "sent, as they often hold secrets"
        )
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a regular file"
        raise ValueError(f"{owner} cannot send {path}: it {what}")
    return path


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
