"""Common random numbers: one independent numpy stream per named sampling point.

A stream's seed is derived from (base seed, replication, stream name), so the
same patient gets the same arrival time, attributes and task times in every
scenario run with the same seed: scenario differences are paired, not noise.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable integer for a stream name (same on every machine and Python run)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Factory of named, reproducible numpy Generators for one replication.

    Parameters
    ----------
    seed : int
        Base seed of the experiment.
    replication : int
        Replication number; each replication gets independent streams.
    """

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)

    def get(self, name: str) -> np.random.Generator:
        """A fresh Generator for stream ``name``; asking twice gives the same numbers."""
        ss = np.random.SeedSequence([self.seed, self.replication, stream_key(name)])
        return np.random.Generator(np.random.PCG64(ss))
