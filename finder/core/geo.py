"""Pure great-circle geometry: haversine distance and search bounding boxes that survive the antimeridian and poles."""

from __future__ import annotations

import math
from dataclasses import dataclass

# IUGG mean Earth radius; the sphere is right for "miles away" (geodesic differs by <0.5%, costs 15x).
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
# Half the equatorial circumference: no two points on the sphere are farther apart than this.
MAX_DISTANCE_KM = math.pi * EARTH_RADIUS_KM
# Boxes are widened by this much (degrees, ~1 cm) so float rounding never drops a point sitting on the circle;
# the exact distance test that follows the box removes the extra.
_BOX_SLACK_DEG = 1e-7


def km_to_miles(km: float) -> float:
    """Kilometres to statute miles."""
    return km / KM_PER_MILE


def miles_to_km(miles: float) -> float:
    """Statute miles to kilometres."""
    return miles * KM_PER_MILE


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two (lat, lon) points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    half_dphi, half_dlmb = math.sin(dphi / 2), math.sin(dlmb / 2)
    # x * x, not x ** 2 (the product is exactly rounded, pow() is not), and left to right without grouping:
    # finder.search computes the same distances in SQL (_distance_sql), which must agree to the last bit.
    a = half_dphi * half_dphi + math.cos(phi1) * math.cos(phi2) * half_dlmb * half_dlmb
    # min() guards asin against 1.0000000000000002 from rounding at antipodes.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def valid_point(lat: float, lon: float) -> bool:
    """True when lat is within [-90, 90] and lon within [-180, 180] and both are finite."""
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


@dataclass(frozen=True)
class BoundingBox:
    """Latitude band plus one or two longitude ranges (two when the circle crosses the antimeridian).

    Every point within the circle it was built from lies inside the box; the box may hold a little more.
    """

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]

    @property
    def full_longitude(self) -> bool:
        """True when the box spans every longitude (it holds a pole, or the radius is huge)."""
        return self.lon_ranges == ((-180.0, 180.0),)

    def contains(self, lat: float, lon: float) -> bool:
        """True when (lat, lon) falls inside the box."""
        if not self.min_lat <= lat <= self.max_lat:
            return False
        return any(lo <= lon <= hi for lo, hi in self.lon_ranges)


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """The box holding every point within radius_km of (lat, lon).

    Uses the tangent-longitude bound (Matuschek), so the box is tight at high latitudes instead of the naive
    `radius / cos(lat)`. When the circle reaches a pole the box spans all longitudes; when it crosses the
    antimeridian the longitude range is split in two. Raises ValueError on an invalid point or negative radius.
    """
    if not valid_point(lat, lon):
        raise ValueError(f"invalid point ({lat}, {lon})")
    if not (math.isfinite(radius_km) and radius_km >= 0):
        raise ValueError(f"invalid radius {radius_km}")
    if radius_km >= MAX_DISTANCE_KM:
        return BoundingBox(-90.0, 90.0, ((-180.0, 180.0),))

    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular) + _BOX_SLACK_DEG
    min_lat, max_lat = lat - dlat, lat + dlat
    if max_lat >= 90.0 or min_lat <= -90.0:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ((-180.0, 180.0),))

    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1.0:  # rounding at the edge of "contains a pole"
        return BoundingBox(min_lat, max_lat, ((-180.0, 180.0),))
    dlon = math.degrees(math.asin(ratio)) + _BOX_SLACK_DEG
    if dlon >= 180.0:
        return BoundingBox(min_lat, max_lat, ((-180.0, 180.0),))
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return BoundingBox(min_lat, max_lat, ((west + 360.0, 180.0), (-180.0, east)))
    if east > 180.0:
        return BoundingBox(min_lat, max_lat, ((west, 180.0), (-180.0, east - 360.0)))
    return BoundingBox(min_lat, max_lat, ((west, east),))
