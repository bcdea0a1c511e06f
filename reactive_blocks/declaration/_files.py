"""Which files a listener's returned path may send to the page.

A function that returns a path has the server read that file and send it to
whoever is looking. Where the path comes from the user, any file the server
can read would leak, so only the files Gradio serves by default are read:
those in the current working directory, in the system's temp directory, and
in ``GRADIO_TEMP_DIR`` when it is set (where uploads passed as paths are
written). Symbolic links are followed first, so a link cannot reach out of
them. Hidden files and anything in a hidden directory below them
(``.env``, ``.git/config``) are never sent; Gradio refuses only dotfiles of
the working directory. Gradio's ``allowed_paths`` and ``blocked_paths`` are
not supported yet.

The file is opened once, and the checks that matter are made on the open
file itself: a name swapped for a link or a pipe between a check and the
read (the temp directory is writable by every local user) is never what is
read. Only regular files are read: a named pipe would hold the reader until
someone wrote to it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Final


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
    """``value`` made absolute and resolved, if a listener may send what it names.

    A check of the name only; ``open_servable`` opens the file and checks
    what it is.

    Raises:
        ValueError: The path lies outside the directories files may come
            from, or is hidden; the message says why.
    """
    try:
        path = Path(os.path.abspath(value)).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a loop of links
        raise ValueError(f"{owner} cannot send {value!r}: {exc}") from None
    _check_place(path, owner)
    return path


def open_servable(
    value: str | os.PathLike[str], owner: str
) -> tuple[Path, int, BinaryIO]:
    """Open the file ``value`` names, if a listener may send it.

    Where Linux allows, the name is first opened as a bare handle
    (``O_PATH``), which opens no device: a terminal opened for real could
    become the server's controlling terminal, and its hang-up would kill the
    server. The file is read through the handle once it is known to be a
    regular file in an allowed place.

    Returns:
        Where the open file really lies, its size in bytes, and the file,
        open for reading; the caller closes it.

    Raises:
        ValueError: As ``servable_path``, checked again on the open file;
            or the file does not exist or is not a regular file.
    """
    path = servable_path(value, owner)
    bare = getattr(os, "O_PATH", 0) if _PROC_FDS.is_dir() else 0
    handle = _open(path, owner, (bare or os.O_RDONLY | os.O_NONBLOCK) | _NO_LINK)
    try:
        found = os.fstat(handle)
        if not stat.S_ISREG(found.st_mode):
            raise ValueError(f"{owner} cannot send {path}: it is not a regular file")
        real = _real_path(handle, path)
        _check_place(real, owner)
        descriptor = (
            _open(_PROC_FDS / str(handle), owner, os.O_RDONLY) if bare else handle
        )
    except BaseException:
        os.close(handle)
        raise
    if descriptor != handle:
        os.close(handle)
    return real, found.st_size, os.fdopen(descriptor, "rb")


#: Where Linux names each open file of the process.
_PROC_FDS: Final = Path("/proc/self/fd")

#: A final symbolic link is refused: it was swapped in after the name check.
_NO_LINK: Final = getattr(os, "O_NOFOLLOW", 0)


def _open(path: Path, owner: str, flags: int) -> int:
    """``os.open`` that never takes a controlling terminal nor leaks to children."""
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        raise ValueError(f"{owner} cannot send {path}: it does not exist") from None
    except OSError as exc:  # swapped for a link since, a name too long
        raise ValueError(f"{owner} cannot send {path}: {exc.strerror}") from None


def _check_place(path: Path, owner: str) -> None:
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


def _real_path(descriptor: int, opened: Path) -> Path:
    """Where an open file lies, whatever its name now points to.

    Linux names it in ``/proc``; elsewhere the name it was opened by is all
    there is, and a directory above it swapped in between goes unseen.
    """
    try:
        return Path(os.readlink(_PROC_FDS / str(descriptor)))
    except OSError:
        return opened


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
