"""Tiny run settings shared by the tests: seconds, not minutes, on a 2-core CPU."""

from __future__ import annotations


def tiny_config(**overrides):
    """A run that trains in well under a second per handful of steps on a 2-core CPU."""
    from ganstudio.config import RunConfig

    cfg = RunConfig()
    cfg.data.source = "demo:shapes:24"
    cfg.data.resolution = 16
    cfg.model.width = 8
    cfg.model.z_dim = 16
    cfg.train.batch = 8
    cfg.train.steps = 12
    cfg.train.precision = "fp32"
    cfg.schedule.tick_steps = 4
    cfg.schedule.sample_seconds = 0.0
    cfg.schedule.metric_seconds = 1e9
    cfg.schedule.metric_first_seconds = 1e9  # a quality figure only when the run ends
    cfg.schedule.metric_images = 16
    cfg.schedule.grid_images = 4
    for dotted, value in overrides.items():
        section, key = dotted.split("__")
        setattr(getattr(cfg, section), key, value)
    return cfg.validate()
