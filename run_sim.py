#!/usr/bin/env python
"""Command line for the Tower Hamlets same-day urgent care pathway simulator.

    python run_sim.py run configs/current.yaml
    python run_sim.py compare configs/current.yaml configs/redesign.yaml --jobs 2
"""

try:  # a Ctrl-C while Python loads the command line is one line and exit 130, as later
    from sim.cli import script
except KeyboardInterrupt:
    import sys

    print("interrupted: no results were written", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    script()
