"""Optional CPU speed-ups the trainer applies to plain torch models (fixed routes, an off switch)."""
