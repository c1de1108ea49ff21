"""The ground: lunar elevation models and the horizons they cast."""

from ilrs.terrain.allpoints import GridHorizons, grid_horizons
from ilrs.terrain.bruteforce import brute_force_horizon
from ilrs.terrain.dem import Dem, as_dems, ground_height, site_on_dem
from ilrs.terrain.grid import Grid
from ilrs.terrain.horizon import (
    HorizonProfile,
    azimuths_rad,
    horizon_elevations,
    horizon_profile,
    horizon_profiles,
)
from ilrs.terrain.projection import PolarStereographic, latlon_from_vector, vector_from_latlon
from ilrs.terrain.stack import TerrainStack

__all__ = [
    "Dem",
    "Grid",
    "GridHorizons",
    "HorizonProfile",
    "PolarStereographic",
    "TerrainStack",
    "as_dems",
    "azimuths_rad",
    "brute_force_horizon",
    "grid_horizons",
    "ground_height",
    "horizon_elevations",
    "horizon_profile",
    "horizon_profiles",
    "latlon_from_vector",
    "site_on_dem",
    "vector_from_latlon",
]
