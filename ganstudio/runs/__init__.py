"""A run on disk: the folder layout (every path name), its history, and resuming it."""
