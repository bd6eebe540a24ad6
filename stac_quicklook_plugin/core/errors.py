"""One base exception, one subclass per failure a user can act on.

Every message says what failed, what the server said (if anything) and what to try.
The CLI maps each class to an exit code; the plugin shows ``title`` and ``str(error)``.
"""
from __future__ import annotations


class QuicklookError(Exception):
    """Base of every error the engine raises on purpose."""

    title = "Quicklook failed"
    exit_code = 1


class BadInput(QuicklookError):
    """A parameter is out of range or unparsable; nothing was sent to any server."""

    title = "Invalid input"
    exit_code = 2


class NothingFound(QuicklookError):
    """The search answered, but no item matches the area, dates and cloud limit."""

    title = "No imagery found"
    exit_code = 3


class APIError(QuicklookError):
    """The STAC API failed or answered something unusable (keeps status and body)."""

    title = "STAC API error"
    exit_code = 4

    def __init__(self, message: str, status: int | None = None, url: str | None = None,
                 body: str | None = None):
        super().__init__(message)
        self.status = status
        self.url = url
        self.body = body


class NetworkError(APIError):
    """The host could not be reached: DNS, refused connection, timeout, dropped connection."""

    title = "Network error"


class BadAnswer(APIError):
    """The STAC API answered JSON of the wrong shape: too deep, wrong types, NaN where numbers belong."""

    title = "Malformed STAC answer"


class AssetError(QuicklookError):
    """The item has no asset the quicklook can use (or the requested key is missing)."""

    title = "No usable asset"
    exit_code = 5


class RefusedHref(APIError, AssetError):
    """The catalog named something a quicklook never opens: a local path, a GDAL path, another scheme.
    The catalog's fault (exit 4, like an API error), and so no usable asset."""

    title = "Refused catalog link"


class ReadError(QuicklookError):
    """An image could not be read: HTTP error on the file, not a GeoTIFF, broken or absurd."""

    title = "Could not read the image"
    exit_code = 5


class UnexpectedError(QuicklookError):
    """A failure the engine did not foresee; the message names the stage, the log keeps the traceback."""

    title = "Quicklook failed"
    exit_code = 1


class Cancelled(QuicklookError):
    """The caller's ``is_cancelled()`` turned true; the work stopped without a result."""

    title = "Cancelled"
    exit_code = 130


class MissingDependency(QuicklookError):
    """No library that can read the images is importable in this Python."""

    title = "Missing Python package"
    exit_code = 5
