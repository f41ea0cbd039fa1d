"""Training: the loop (trainer), its steps and per-tick housekeeping, losses, augmentation,
EMA, quality figures and health checks. Pure torch: no Qt."""
