"""Stage 3, analysis: KPIs and costs of one replication, checks on it, and statistics across replications."""
