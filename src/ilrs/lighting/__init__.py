"""What a site sees over time: illumination, Earth and relay visibility, statistics, maps."""

from ilrs.lighting.stats import LightingStats, Run, lighting_stats, runs
from ilrs.lighting.visibility import (
    SiteLighting,
    disk_fraction,
    ideal_horizon,
    relay_visible,
    site_lighting,
)

__all__ = [
    "LightingStats",
    "Run",
    "SiteLighting",
    "disk_fraction",
    "ideal_horizon",
    "lighting_stats",
    "relay_visible",
    "runs",
    "site_lighting",
]
