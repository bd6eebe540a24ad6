"""QGIS's network settings for the engine: the proxy (Settings > Network) and auth-config headers.

Both are read on the main thread when a quicklook starts; secrets stay in QGIS's proxy settings and
encrypted authentication database, never in the plugin's QgsSettings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from qgis.core import QgsApplication, QgsNetworkAccessManager
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtNetwork import QNetworkProxy, QNetworkRequest

if TYPE_CHECKING:
    from stac_quicklook_plugin.core.models import Connection

_SCHEMES = {QNetworkProxy.ProxyType.HttpProxy: "http", QNetworkProxy.ProxyType.HttpCachingProxy: "http",
            QNetworkProxy.ProxyType.Socks5Proxy: "socks5h"}


def qgis_proxy() -> tuple[Optional[str], tuple[str, ...]]:
    """("scheme://[user:pass@]host:port", URL prefixes that bypass it) from QGIS, or (None, ()).

    With no proxy, or QGIS's "Default proxy" (the system's), the engine keeps the environment's own
    settings (http_proxy/no_proxy), which requests and GDAL already honour.
    """
    nam = QgsNetworkAccessManager.instance()
    proxy = nam.fallbackProxy()
    scheme = _SCHEMES.get(proxy.type())
    if not scheme or not proxy.hostName():
        return None, ()
    auth = ""
    if proxy.user():
        auth = f"{quote(proxy.user(), safe='')}:{quote(proxy.password(), safe='')}@"
    url = f"{scheme}://{auth}{proxy.hostName()}" + (f":{proxy.port()}" if proxy.port() > 0 else "")
    excluded = tuple(str(u).strip() for u in list(nam.excludeList()) + list(nam.noProxyList()) if str(u).strip())
    return url, excluded


class AuthError(Exception):
    """The named authentication config cannot be applied; ``str()`` says which and what to do."""


def auth_headers(api_url: str, auth_cfg: Optional[str]) -> dict[str, str]:
    """The HTTP headers QGIS's auth config ``auth_cfg`` adds to a request to ``api_url`` (Basic, API key...)."""
    if not auth_cfg:
        return {}
    manager = QgsApplication.authManager()
    if auth_cfg not in manager.configIds():
        raise AuthError(f"The authentication configuration '{auth_cfg}' does not exist. Choose another one "
                        "in the STAC Quicklook panel, or none.")
    request = QNetworkRequest(QUrl(api_url))
    if not manager.updateNetworkRequest(request, auth_cfg):
        raise AuthError(f"QGIS could not apply the authentication configuration '{auth_cfg}' (is the master "
                        "password set?).")
    return {bytes(name).decode("latin-1"): bytes(request.rawHeader(name)).decode("latin-1")
            for name in request.rawHeaderList()}


def qgis_connection(api_url: str, auth_cfg: Optional[str] = None, timeout: Optional[float] = None) -> Connection:
    """The engine's ``Connection`` to ``api_url`` as QGIS is set up: its proxy and exclusions, the headers of
    the auth config ``auth_cfg`` (AuthError when it cannot be applied), and ``timeout`` (None: the engine's)."""
    from stac_quicklook_plugin.core.models import Connection  # no numpy: safe on QGIS's main thread

    proxy, exclude = qgis_proxy()
    fields: dict[str, Any] = {"headers": auth_headers(api_url, auth_cfg), "proxy": proxy, "proxy_exclude": exclude}
    if timeout is not None:
        fields["timeout"] = float(timeout)
    return Connection(**fields)
