"""The report's figures, one module per group; each function takes runs and returns a Figure."""
