#!/usr/bin/env python
"""Command line for the Tower Hamlets same-day urgent care pathway simulator.

    python run_sim.py run configs/current.yaml
    python run_sim.py compare configs/current.yaml configs/redesign.yaml --jobs 2
"""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
