from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._files import open_servable, upload_directory
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.declaration._unsupported import Refused
from reactive_blocks.errors import DeclarationError
from reactive_blocks.protocol import Blob

if TYPE_CHECKING:
    import numpy as np
    import PIL.Image

# numpy and Pillow are imported where first needed, to keep the start fast.

#: Uploads above this many pixels are refused before decoding (decompression bombs).
#: It admits 50-megapixel phone photos (8160x6120). Validation decodes every
#: upload on the server's event loop: at the cap, about 0.8 s and 150 MB for a
#: PNG, 0.2 s for a JPEG, measured on one core (docs/limitations.md).
MAX_PIXELS = 50_000_000

#: The largest file a listener may return as an image's path, in bytes.
MAX_FILE_BYTES: Final = 256 * 1024 * 1024

#: A returned file's image header must lie within its first this many bytes.
HEADER_BYTES: Final = 4 * 1024 * 1024

#: Bytes in each block of a decoded image's memory (see _image_memory_given_back).
IMAGE_BLOCK_SIZE: Final = 64 * 1024 * 1024

Source = Literal["upload", "webcam", "clipboard"]
SOURCES: Final[tuple[Source, ...]] = ("upload", "webcam", "clipboard")


def _must_stream(block: Any) -> None:
    """``.stream`` fires only on an image that streams from the webcam."""
    if not getattr(block, "streaming", False):
        raise DeclarationError(
            f"{block.name}.stream() needs an image that streams: declare it as "
            "gr.Image(sources=['webcam'], streaming=True)"
        )


class Image(Component):
    """An image, shown and, when interactive, uploaded, pasted or filmed by the user.

    Images travel as bytes in binary frames: PNG from listeners and webcam
    photos, the file's own format from uploads, JPEG from webcam streams.
    Listener functions receive them as ``type``
    says and may return a numpy array, a PIL image, or a file path.

    With ``streaming=True`` the image is a live webcam input: while the user
    records, the page sends a frame every ``stream_every`` seconds of its
    ``stream`` listeners, and the server runs them on the newest frame, at
    most that often per tab. Frames fire ``stream``, never ``change``.

    Example:
        >>> webcam = gr.Image(sources=["webcam"], streaming=True)
        >>> flipped = gr.Image()
        >>> webcam.stream(np.fliplr, webcam, flipped, stream_every=0.1, time_limit=30)

    Args:
        value: The initial image (array, PIL image or path), or a callable.
        type: What listeners receive: ``"numpy"`` (an ``HxWxC`` uint8
            array), ``"pil"`` or ``"filepath"`` (a temporary PNG file).
        image_mode: The PIL mode images are converted to before a listener
            sees them, e.g. ``"RGB"``, ``"L"``; None keeps the file's mode.
        height: The display height in pixels.
        width: The display width in pixels.
        sources: Where the user may take an image from: ``"upload"`` (a file
            chosen or dropped), ``"webcam"`` (a photo, or a live stream with
            ``streaming=True``), ``"clipboard"`` (a pasted image). The first
            is shown first.
        streaming: Stream webcam frames to the ``stream`` listeners while the
            user records; needs ``sources=["webcam"]``.
        mirror_webcam: Whether the webcam preview, and what it sends, is
            mirrored left to right, as people expect of a selfie camera.
        **kwargs: Common component options (``label``, ``interactive``…).

    Raises:
        DeclarationError: an unknown source, or ``streaming=True`` with
            sources other than ``["webcam"]``.
    """

    block_type: ClassVar[str] = "image"
    costly_conversion: ClassVar[bool] = True
    upload = EventListener("upload", doc="The user uploaded an image.")
    clear = EventListener("clear", doc="The user cleared the image.")
    # Frames never pile up: a slow listener goes on with the newest frame.
    stream = EventListener(
        "stream",
        trigger_mode="always_last",
        show_progress="hidden",
        requires=_must_stream,
        doc="A frame of the user's webcam stream arrived.",
    )
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 names for what Gradio 6 shows through buttons=.
        "show_download_button": Refused("the image shows no download button"),
        "show_share_button": None,
        "show_fullscreen_button": Refused("the image shows no fullscreen button"),
        "webcam_constraints": None,
        "container": True,
        "scale": None,
        "min_width": 160,
        "webcam_options": None,
        "placeholder": None,
        "watermark": None,
        "alt_text": None,
        # Gradio sends returned images as WebP and shows download, share and
        # fullscreen buttons by default.
        "format": Refused("images are sent as PNG"),
        "buttons": Refused("the image shows no download, share or fullscreen button"),
    }

    def __init__(
        self,
        value: Any = None,
        *,
        type: Literal["numpy", "pil", "filepath"] = "numpy",
        image_mode: str | None = "RGB",
        height: int | str | None = None,
        width: int | str | None = None,
        sources: Sequence[Source] | Source | None = None,
        streaming: bool = False,
        mirror_webcam: bool = True,
        **kwargs: Any,
    ) -> None:
        if type not in ("numpy", "pil", "filepath"):
            raise ValueError(f"Image type={type!r} is not one of numpy, pil, filepath")
        self.sources = _sources(sources)
        if streaming and self.sources != ["webcam"]:
            raise DeclarationError(
                "Image streaming=True needs sources=['webcam']: a stream comes from "
                f"the webcam alone, got sources={self.sources!r}"
            )
        self.streaming = bool(streaming)
        self.mirror_webcam = bool(mirror_webcam)
        self.type = type
        self.image_mode = image_mode
        self.height = height
        self.width = width
        super().__init__(value, **kwargs)

    def preprocess(self, value: Any) -> Any:
        import numpy as np

        if value is None:
            return None
        image = _open(value)
        if self.image_mode is not None and image.mode != self.image_mode:
            image = image.convert(self.image_mode)

        if self.type == "pil":
            return image
        if self.type == "numpy":
            return np.asarray(image)
        with tempfile.NamedTemporaryFile(
            suffix=".png", dir=upload_directory(), delete=False
        ) as file:
            image.save(file, format="PNG")
        return file.name

    def postprocess(self, value: Any) -> Blob | None:
        import numpy as np
        import PIL.Image

        _image_memory_given_back()
        if value is None:
            return None
        if isinstance(value, Blob):
            return value
        if isinstance(value, (str, Path)):
            return self._file_blob(value)
        if isinstance(value, np.ndarray):
            value = PIL.Image.fromarray(_as_uint8(value))
        if isinstance(value, PIL.Image.Image):
            return _png(value)
        raise ValueError(
            f"{self.name} cannot show a {type(value).__name__}; return a numpy "
            "array, a PIL image or a file path"
        )

    def _file_blob(self, value: str | Path) -> Blob:
        """A returned path's bytes, if the file may be sent and is an image.

        The file is opened once (``open_servable``). Its size and its image
        header are checked before the rest is read, so that naming a large
        file of another kind costs nothing, and so is the size against the
        pixels: a file far larger than its image needs is refused.
        """
        path, size, file = open_servable(value, self.name)
        with file:
            if size > MAX_FILE_BYTES:
                raise ValueError(
                    f"{self.name} cannot send {path}: {size:,} bytes is above the "
                    f"limit of {MAX_FILE_BYTES:,}"
                )
            data = file.read(HEADER_BYTES)
            width, height, mode, mime = self._header(path, data)
            if width * height > MAX_PIXELS:
                raise ValueError(
                    f"{self.name} cannot send {path}: {width}x{height} pixels is "
                    f"above the limit of {MAX_PIXELS:,}"
                )
            most = min(MAX_FILE_BYTES, _most_bytes(width, height, mode))
            if size > most:
                raise ValueError(
                    f"{self.name} cannot send {path}: {size:,} bytes is more than an "
                    f"image of {width}x{height} pixels holds"
                )
            data += file.read(most + 1 - len(data))
        if len(data) > most:
            raise ValueError(f"{self.name} cannot send {path}: it grew while read")
        return _as_shown(data, mime, f"{self.name}: {path}")

    def _header(self, path: Path, head: bytes) -> tuple[int, int, str, str | None]:
        """Width, height, mode and MIME type, from the start of a file."""
        import PIL.Image

        try:
            with PIL.Image.open(io.BytesIO(head)) as image:
                mime = PIL.Image.MIME.get(image.format or "")
                return (*image.size, image.mode, mime)
        except PIL.Image.DecompressionBombError as exc:
            raise ValueError(f"{self.name} cannot send {path}: {exc}") from None
        except Exception:
            raise ValueError(
                f"{self.name}: {path} is not an image (no image header the server "
                f"knows in its first {HEADER_BYTES // 1024**2} MiB)"
            ) from None

    def validate(self, value: Any) -> Blob | None:
        import PIL.Image

        if value is None:
            return None
        if not isinstance(value, Blob):
            raise ValueError(f"{self.name} needs image bytes in a binary frame")
        try:
            with PIL.Image.open(io.BytesIO(value.data)) as image:
                width, height = image.size
                image.verify()
        except PIL.UnidentifiedImageError:
            raise ValueError(
                f"{self.name}: the upload is not a readable image (no format the "
                "server knows)"
            ) from None
        except Exception as exc:
            raise ValueError(
                f"{self.name}: the upload is not a readable image ({exc})"
            ) from None
        if width * height > MAX_PIXELS:
            raise ValueError(
                f"{self.name}: {width}x{height} pixels is above the limit of "
                f"{MAX_PIXELS:,}; send a smaller image"
            )

        return value

    def check_whole(self, value: Any) -> None:
        """Decode every pixel: a cut or emptied pixel stream passes ``validate``.

        Such an image would fail later, inside the app's function.
        """
        import PIL.Image

        _image_memory_given_back()
        if value is None:
            return
        try:
            with PIL.Image.open(io.BytesIO(value.data)) as image:
                image.load()
        except Exception as exc:
            raise ValueError(
                f"{self.name}: the image is truncated or corrupt and cannot be "
                f"decoded ({exc}); send the whole file again"
            ) from None

    def user_events(self, previous: Any, value: Any) -> tuple[str, ...]:
        return ("upload" if value is not None else "clear", "input", "change")

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "height": self.height,
            "width": self.width,
            "sources": self.sources,
            "streaming": self.streaming,
            "mirror_webcam": self.mirror_webcam,
        }


def _sources(sources: Sequence[str] | str | None) -> list[Source]:
    if sources is None:
        return list(SOURCES)
    given = [sources] if isinstance(sources, str) else list(sources)
    unknown = [s for s in given if s not in SOURCES]
    if unknown or not given:
        raise DeclarationError(
            f"Image sources must be a non-empty list of {', '.join(SOURCES)}; "
            f"got {sources!r}"
        )
    return given  # type: ignore[return-value]


@functools.cache
def _image_memory_given_back() -> None:
    """Have Pillow hold image memory in blocks the C allocator gives back.

    Pillow allocates an image in blocks of 16 MiB. Once a block that size
    was freed, glibc serves the next ones from the heaps of the threads that
    decode, and keeps them there: after rounds of 45 uploads of 50 megapixels,
    decoded in check and worker threads, the server held 5.5 GB with nothing
    alive (8.7 GB at the peak). Blocks of 64 MiB are above the size glibc ever
    serves from a heap (32 MiB), so each is mapped and unmapped whole: 0.4 to
    0.6 GB stayed (1.2 GB at the peak). A PILLOW_BLOCK_SIZE in the
    environment is the app's own choice and is kept.
    """
    from PIL import _imaging

    if "PILLOW_BLOCK_SIZE" not in os.environ:
        _imaging.set_block_size(IMAGE_BLOCK_SIZE)


#: Image types every browser shows; a file of another type is sent as PNG.
SHOWN_AS_THEY_ARE: Final = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
)


#: Bytes a file may hold after the image's end and still be sent as it is.
#: Pillow's decoders read ahead by up to 64 KiB, so it cannot be less.
MOST_AFTER_END: Final = 1024 * 1024

#: The modes Pillow writes as PNG unchanged.
PNG_MODES: Final = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


def _most_bytes(width: int, height: int, mode: str) -> int:
    """The largest file an image of this size and mode may be.

    Twice its pixels unpacked (no format stores them in more; 16-bit files
    open as 8-bit modes), and 1 MiB of metadata. More is data beyond the
    image, sent for nothing.
    """
    import PIL.Image

    depth = 4 if mode in ("I", "F") else 2 if mode.startswith("I;16") else 1
    pixels = width * height * PIL.Image.getmodebands(mode) * depth
    return 2 * pixels + 1024 * 1024


def _as_shown(data: bytes, mime: str | None, what: str) -> Blob:
    """``data`` as the page will show it, once decoded whole.

    Decoded as an upload is (``Image.check_whole``): a file cut short or
    corrupt is refused here, not shown broken. A type browsers cannot show
    (TIFF, PPM) is sent as PNG, and so is an image followed by more than
    ``MOST_AFTER_END`` bytes of other data (a video some phones append to a
    photo, or padding), which would travel for nothing.
    """
    import PIL.Image

    read = io.BytesIO(data)
    try:
        with PIL.Image.open(read) as image:
            image.load()
            # An animation's later frames lie after the first: not checked.
            if getattr(image, "is_animated", False):
                after_end = 0
            elif image.format == "WEBP":  # read whole; its RIFF header says its end
                after_end = len(data) - int.from_bytes(data[4:8], "little") - 8
            else:
                after_end = len(data) - read.tell()
            if mime in SHOWN_AS_THEY_ARE and after_end <= MOST_AFTER_END:
                return Blob(data, mime)
            if image.mode not in PNG_MODES:
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            return _png(image)
    except Exception as exc:
        raise ValueError(f"{what} is not an image ({exc})") from None


def _png(image: PIL.Image.Image) -> Blob:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Blob(buffer.getvalue(), "image/png")


def _open(blob: Blob) -> PIL.Image.Image:
    import PIL.Image

    _image_memory_given_back()
    image = PIL.Image.open(io.BytesIO(blob.data))
    image.load()
    return image


def _as_uint8(array: np.ndarray) -> np.ndarray:
    """Arrays of floats in [0, 1] are scaled, as Gradio does; others are cast."""
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating) and array.size and array.max() <= 1.0:
        array = array * 255
    return np.clip(array, 0, 255).astype(np.uint8)
