"""Stage 2, the model: patients, arrivals, stations, slot diaries and the pathway itself (one replication)."""
