"""One file a run reads: the href the catalog named, the GDAL path it is opened by (signed where signing
applies), the GDAL options of its reads, and the network path to it. Made once per file by the run
(``engine.run.Run.remote``), handed to every read of that file."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from stac_quicklook_plugin.core.models import Connection
from stac_quicklook_plugin.core.net.hrefs import to_gdal_path
from stac_quicklook_plugin.core.raster.gdal_env import proxy_options, timeout_options


@dataclass(frozen=True)
class RemoteFile:
    """What a read needs to know of a file. ``options`` are the GDAL options this file's reads add to the
    defaults (``gdal_env.gdal_options``); ``proxy`` and ``ca_bundle`` are the network path the engine's own
    byte-range reads take (the same GDAL's take)."""

    href: str  # as the catalog named it: messages and caches use it (never the signed URL)
    gdal_path: str  # what GDAL opens: /vsicurl/ (signed), /vsis3/, /vsigs/, or a local path in tests
    options: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    proxy: Optional[str] = None
    ca_bundle: Optional[str] = None

    @classmethod
    def of(cls, href: str, connection: Optional[Connection] = None, signed: Optional[str] = None,
           gdal_config: Optional[dict[str, str]] = None) -> RemoteFile:
        """The file at ``href`` reached through ``connection`` (``signed``: its signed URL, when signing
        applies); ``gdal_config`` is the caller's own GDAL options, kept as given."""
        connection = connection or Connection()
        proxy = connection.proxy_for(href)
        options = timeout_options(connection.timeout)  # GDAL's HTTP limits follow the user's timeout
        options.update(gdal_config or {})
        options.update(proxy_options(proxy))
        if connection.ca_bundle:
            options["GDAL_CURL_CA_BUNDLE"] = connection.ca_bundle
        return cls(href, to_gdal_path(signed or href), options, _own_timeout(gdal_config) or connection.timeout,
                   proxy, connection.ca_bundle)

    @property
    def ca(self) -> Optional[str]:
        """The CA bundle the byte-range reads trust: the connection's, else the one GDAL is told to use in
        the environment (None: the system's)."""
        return self.ca_bundle or os.environ.get("GDAL_CURL_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")


def _own_timeout(gdal_config: Optional[dict[str, str]]) -> Optional[float]:
    """A caller's own GDAL_HTTP_TIMEOUT (seconds), which GDAL's reads of the file follow: so do the engine's."""
    text = (gdal_config or {}).get("GDAL_HTTP_TIMEOUT")
    try:
        return max(0.1, float(text)) if text else None
    except ValueError:
        return None
