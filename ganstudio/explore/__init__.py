"""What the explorer and `generate` share: a loaded generator, latents, directions, recipes,
and one function that renders a piece, a grid or a walk."""
