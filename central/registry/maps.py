"""Links to a site on a map: Amap (高德地图), which police in China use, at the site's WGS-84 coordinates.

``coordinate=wgs84`` makes Amap convert from GPS coordinates to its own (GCJ-02),
so that what the registry stores is what a phone's GPS reads on the spot.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

AMAP_MARKER = "https://uri.amap.com/marker"


def amap_marker(latitude: float | None, longitude: float | None, name: str) -> str | None:
    """A marker at the coordinates, labelled ``name``; None unless both coordinates are known."""
    if latitude is None or longitude is None:
        return None
    query = {"position": f"{longitude:.6f},{latitude:.6f}", "name": name, "coordinate": "wgs84"}
    return f"{AMAP_MARKER}?{urlencode(query, safe=',', quote_via=quote)}"
