"""Stage 4, experiments: replications (serial or parallel), checkpoints, comparisons, attribution, sweeps, validation."""
