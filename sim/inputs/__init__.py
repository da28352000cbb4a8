"""Stage 1, inputs: the scenario's parameters (validated config), distributions and the calendar."""
