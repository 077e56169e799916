"""Frames streamed into an H.264 MP4 with the ffmpeg that imageio-ffmpeg ships.

:class:`MovieWriter` hands each frame to a writer thread that feeds ffmpeg's pipe, so the next frame
renders while ffmpeg encodes the last one (ffmpeg runs in its own process); at most ``queue`` frames
wait in memory, whatever the length of the movie. ``macro_block_size=1`` keeps the exact size
(imageio-ffmpeg would otherwise resize 1280x720 to 1280x720 but 640x360 to 640x368); yuv420p, the
pixel format every player and slide program reads, needs even sides.
"""

from __future__ import annotations

import pathlib
import queue
import threading

import numpy as np

from twin.errors import ProjectError, TwinError

#: x264 constant rate factor: 18-23 looks clean for rendered scenes; lower is better and bigger
DEFAULT_CRF = 20
#: x264 speed preset: rendered city scenes compress almost as well with "veryfast" as with "medium" (2.77 MB vs
#: 2.68 MB for 150 frames in bench/bench_movie.py) and it leaves more of the CPU to the software renderer
DEFAULT_PRESET = "veryfast"
_DONE = object()


class MovieCancelled(TwinError):
    """The user cancelled a movie export; the partial file was removed."""


def check_movie_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` when H.264 in yuv420p can hold it (even sides); ProjectError naming it otherwise."""
    width, height = (int(v) for v in size)
    if width % 2 or height % 2:
        raise ProjectError(f"movie size {width}x{height}: H.264 (yuv420p) needs even width and height, "
                           f"e.g. {width + width % 2}x{height + height % 2}")
    return width, height


class MovieWriter:
    """Write RGB frames (``height x width x 3`` uint8) to an MP4 file: ``write`` each, then ``close``.

    Use it as a context manager: an exception inside aborts the file (ffmpeg stopped, file removed).
    """

    def __init__(self, path: str | pathlib.Path, size: tuple[int, int], fps: float, *, crf: int = DEFAULT_CRF,
                 preset: str = DEFAULT_PRESET, queue_size: int = 4) -> None:
        import imageio_ffmpeg

        self.path = pathlib.Path(path)
        self.size = check_movie_size(size)
        self.fps = float(fps)
        if not self.fps > 0:
            raise ProjectError(f"movie fps {fps}: must be positive")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.frames = 0
        self._error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._encoder = imageio_ffmpeg.write_frames(
            str(self.path), self.size, fps=self.fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            quality=None, macro_block_size=1, ffmpeg_log_level="error",
            output_params=["-crf", str(int(crf)), "-preset", preset, "-movflags", "+faststart"])
        self._encoder.send(None)  # starts ffmpeg
        self._thread = threading.Thread(target=self._feed, name="movie-writer", daemon=True)
        self._thread.start()
        self._closed = False

    def _feed(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                break
            if self._error is not None:
                continue  # drain: the producer sees the error at its next write
            try:
                self._encoder.send(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer thread
                self._error = exc

    def write(self, image: np.ndarray) -> None:
        """Queue one frame (blocks while ``queue_size`` frames are waiting)."""
        self._raise_pending()
        width, height = self.size
        if image.shape[:2] != (height, width) or image.ndim != 3 or image.shape[2] < 3:
            raise ValueError(f"frame of shape {image.shape} does not fit the movie's {width}x{height} RGB")
        rgb = image[:, :, :3]
        if not (rgb.flags.owndata and rgb.flags.c_contiguous and rgb.dtype == np.uint8):
            # a copy of its own: a screenshot may be a view on VTK's buffer, which the next render reuses
            # while the writer thread is still sending this frame to ffmpeg
            rgb = np.array(rgb, dtype=np.uint8, order="C", copy=True)
        self._queue.put(rgb)
        self.frames += 1

    def close(self) -> None:
        """Wait for every frame to be encoded and ffmpeg to finish the file."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_DONE)
        self._thread.join()
        try:
            self._raise_pending()
        finally:
            self._encoder.close()

    def abort(self) -> None:
        """Stop without finishing the file and remove what was written."""
        if not self._closed:
            self._closed = True
            self._error = self._error or MovieCancelled("aborted")
            self._queue.put(_DONE)
            self._thread.join()
            try:
                self._encoder.close()
            except Exception:  # noqa: BLE001 - the file is removed anyway
                pass
        self.path.unlink(missing_ok=True)

    def _raise_pending(self) -> None:
        if self._error is not None and not isinstance(self._error, MovieCancelled):
            raise ProjectError(f"{self.path}: the movie encoder failed ({self._error})") from self._error

    def __enter__(self) -> "MovieWriter":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()


def read_movie_info(path: str | pathlib.Path) -> dict:
    """Size, fps and frame count of a movie, read back with imageio-ffmpeg (for tests and checks)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    count = sum(1 for _ in reader)
    return {"size": tuple(meta["size"]), "fps": meta["fps"], "frames": count, "codec": meta.get("codec")}
