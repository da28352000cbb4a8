"""Stage 5, outputs: result folders, printed reports and figures."""
