"""Moved to ``stac_quicklook_plugin.core.engine.quicklook``; this path keeps working for scripts written
against it (``from stac_quicklook_plugin.core.quicklook import quicklook``)."""
from stac_quicklook_plugin.core.engine.quicklook import *  # noqa: F401,F403
from stac_quicklook_plugin.core.engine.quicklook import quicklook, quicklook_of, whole_scene_bbox  # noqa: F401
from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest  # noqa: F401
