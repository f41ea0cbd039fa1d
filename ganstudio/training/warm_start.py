"""Start a new run from a model that already exists: an earlier run, a checkpoint, or the bundled model.

A set of 50-200 images is too small to teach a generator to draw from scratch in minutes,
but it can steer one that already draws. The new run takes the source's weights (the
generator, its moving average, and the discriminator where the checkpoint has one) and
its network shape, then trains on the new images with fresh optimisers and counters.
With a discriminator from the source, its first layers can stay frozen (FreezeD, Mo et
al. 2020): they keep the general edge and texture detectors they learned, and the small
set only moves the layers that judge the whole picture.

Only what can match is accepted: the same image size and the same colour channels as the
new run asks for, refused in plain words otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganstudio.checkpoint import CheckpointError, load_checkpoint, load_weights, resolve_checkpoint_path
from ganstudio.runs.folder import run_name_of
from ganstudio.config import ConfigError, RunConfig

# With a discriminator from the source, this many of its first convolutions stay frozen.
FROZEN_D_LAYERS = 1


@dataclass(frozen=True)
class StartingPoint:
    name: str  # "run 'NAME' at step S": recorded in the new run, never a path (runs are shared)
    config: RunConfig  # the settings the source model was trained with
    G: dict[str, torch.Tensor]
    G_ema: dict[str, torch.Tensor]
    D: dict[str, torch.Tensor] | None  # None: a generator-only file (an export, the bundled model)


def load_starting_point(target: str | Path) -> StartingPoint:
    """A run folder (its 'best' checkpoint, what `generate` draws from) or a checkpoint file."""
    path = resolve_checkpoint_path(target, prefer="best")
    data = load_checkpoint(path)
    try:
        config = RunConfig.from_dict(data["config"])
        config.channels  # noqa: B018 - refuses a config whose colour was never decided
    except ConfigError as exc:
        raise CheckpointError(f"'{path}' has settings this version can't start from: {exc}") from None
    g_ema = data.get("G_ema")
    if not isinstance(g_ema, dict) or not g_ema:
        raise CheckpointError(f"'{path}' has no generator weights to start from.")
    g = data.get("G") if isinstance(data.get("G"), dict) else g_ema
    d = data.get("D") if isinstance(data.get("D"), dict) else None
    run = run_name_of(path)
    return StartingPoint(name=f"run '{run}' at step {int(data.get('step', 0)):,}", config=config, G=g, G_ema=g_ema, D=d)


def adopt(config: RunConfig, start: StartingPoint, *, resolution_chosen: bool, color_chosen: bool | None = None) -> RunConfig:
    """`config` with the source's network shape, size and colour; a clash the artist chose is refused.

    `resolution_chosen`: the artist asked for a size themselves (then it must be the source's).
    `color_chosen`: the same for the colour; by default, any colour but "auto" counts as chosen.
    Images decoded for the old colour go through `plan.convert_channels` afterwards.
    """
    source = start.config
    out = config.copy()
    if resolution_chosen and out.data.resolution != source.data.resolution:
        raise ConfigError(
            f"The model you start from draws {source.data.resolution} px images; it can't train at "
            f"{out.data.resolution} px. Leave the size out, or start from a model of that size."
        )
    if color_chosen is None:
        color_chosen = out.data.color != "auto"
    if color_chosen and out.data.color != source.data.color:
        drawn = "grayscale" if source.data.color == "gray" else "colour"
        raise ConfigError(
            f"The model you start from draws {drawn} images; it can't learn {out.data.color} ones. "
            "Leave the colour on automatic, or start from another model."
        )
    out.data = dataclasses.replace(out.data, resolution=source.data.resolution, color=source.data.color,
                                   color_why=f"the model it starts from ({start.name}) draws that way")
    out.model = dataclasses.replace(source.model)
    out.train.init_from = start.name
    out.train.freeze_d_layers = FROZEN_D_LAYERS if start.D is not None else 0
    return out.validate()


def load_into(start: StartingPoint, G: nn.Module, G_ema: nn.Module, D: nn.Module) -> None:
    """Copy the source's weights into freshly built networks of the same shape."""
    pairs: list[tuple[str, nn.Module, dict[str, Any]]] = [("generator", G, start.G), ("generator", G_ema, start.G_ema)]
    if start.D is not None:
        pairs.append(("discriminator", D, start.D))
    for what, net, state in pairs:
        load_weights(net, state, f"The {what} of {start.name} does not fit this run's network")


def first_layers(D: nn.Module, count: int) -> list[nn.Parameter]:
    """The parameters of D's first `count` convolution or linear layers (and any norm between them)."""
    params: list[nn.Parameter] = []
    taken: set[int] = set()
    seen = 0
    for module in D.modules():  # in the order the layers were built: input side first
        if seen >= count:
            break
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            seen += 1
        elif not isinstance(module, nn.modules.batchnorm._BatchNorm):
            continue
        for p in module.parameters():  # with spectral norm, the raw weight is one level down
            if id(p) not in taken:
                taken.add(id(p))
                params.append(p)
    return params
