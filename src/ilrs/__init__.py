"""ilrs — digital twin and operations platform for the International Lunar Research Station.

The package follows the pipeline of DESIGN.md: ``ilrs.sky`` (where the Sun, the Earth and
relay satellites are, seen from a lunar site) feeds everything above it.
"""

__version__ = "0.1.0"
