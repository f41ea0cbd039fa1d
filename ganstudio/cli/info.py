"""`ganstudio info`: what a run folder or checkpoint holds, in words or as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganstudio.cli.common import FileProblem
from ganstudio.wording import format_duration


def copy_summary(copies: list[tuple[int, float]]) -> dict:
    """The copy check's figures over a run (data/copies.py), for `info` and its JSON."""
    from ganstudio.data.copies import COPY_QUANTILE, COPY_WARNING

    step, latest = copies[-1]
    return {
        "metric": f"share of samples nearer to a training image than {1 - COPY_QUANTILE:.0%} of training images "
                  "are to each other (about 0.1 or less: new pictures; near 1: copies)",
        "latest": latest, "step": step, "highest": max(value for _, value in copies),
        "copying": latest >= COPY_WARNING,
    }


def run_info(args: argparse.Namespace) -> int:
    from ganstudio.checkpoint import CheckpointError, load_checkpoint, resolve_checkpoint_path
    from ganstudio.config import RunConfig
    from ganstudio.plan import describe_color, describe_mirror
    from ganstudio.runs.folder import RunFolder, chosen_generator, latest_value

    target = Path(args.target)
    summary: dict = {"path": str(target)}
    if target.is_dir():
        run = RunFolder(target)
        if not run.exists():
            raise FileProblem(f"'{target}' is not a run folder (it has no config.json).")
        config = run.read_config()
        stats = run.read_stats()
        summary["kind"] = "run folder"
        summary["checkpoints"] = run.checkpoint_names()
        summary["samples"] = len(run.sample_steps())
        if stats:
            last = stats[-1]
            summary["step"] = last.get("step")
            summary["images_seen"] = latest_value(stats, "images")
            summary["training_seconds"] = latest_value(stats, "time")
        quality = [(r["step"], r["swd"]) for r in stats if r.get("swd") is not None]
        copies = [(r["step"], r["copies"]) for r in stats if r.get("copies") is not None]
        if copies:
            summary["copies"] = copy_summary(copies)
        try:
            ckpt = load_checkpoint(resolve_checkpoint_path(target))
            summary["checkpoint_step"] = ckpt["step"]
        except CheckpointError:
            pass
    else:
        data = load_checkpoint(resolve_checkpoint_path(target))
        config = RunConfig.from_dict(data["config"])
        summary["kind"] = "checkpoint"
        summary["step"] = data["step"]
        summary["images_seen"] = data.get("images_seen")
        summary["training_seconds"] = data.get("elapsed")
        summary["app_version"] = data.get("app_version")
        best = data.get("best_quality")
        quality = []  # a checkpoint knows the best figure of its run so far, not when it was measured
        if best is not None:
            summary["quality"] = {"metric": "sliced Wasserstein distance (x1e3, lower is better)", "best": best}
    summary["resolution"] = config.data.resolution
    summary["color"] = config.data.color
    summary["mirror"] = config.data.mirror
    summary["color_why"] = config.data.color_why
    summary["mirror_why"] = config.data.mirror_why
    summary["data"] = config.data.source
    summary["preset"] = config.preset
    summary["model"] = f"{config.model.arch}, width {config.model.width}, latent size {config.model.z_dim}"
    summary["loss"] = config.loss.kind
    if config.train.init_from:
        summary["init_from"] = config.train.init_from
    summary["batch"] = config.train.batch
    if quality:
        best_step, best_value = min(quality, key=lambda q: q[1])
        summary["quality"] = {"metric": "sliced Wasserstein distance (x1e3, lower is better)", "best": best_value, "best_step": best_step, "latest": quality[-1][1]}
        chosen = chosen_generator(stats)
        if chosen is not None:
            summary["pictures_from"] = chosen
    summary["config"] = config.to_dict()

    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    lines = [f"{summary['kind'].capitalize()}: {target}"]
    for key, label in (
        ("data", "Data"),
        ("resolution", "Resolution"),
        ("preset", "Preset"),
        ("model", "Model"),
        ("loss", "Loss"),
        ("init_from", "Started from"),
        ("batch", "Batch"),
        ("step", "Step"),
        ("images_seen", "Images seen"),
        ("app_version", "Written by GAN Studio"),
    ):
        if summary.get(key) is not None:
            lines.append(f"  {label + ':':<24}{summary[key]}")
        if key == "resolution":
            lines.append(f"  {'Colour:':<24}{describe_color(config.data)}")
            lines.append(f"  {'Mirroring:':<24}{describe_mirror(config.data)}")
    if summary.get("training_seconds") is not None:
        lines.append(f"  {'Training time:':<24}{format_duration(float(summary['training_seconds']))}")
    if "quality" in summary:
        q = summary["quality"]
        where = f" at step {q['best_step']}, latest {q['latest']:.2f}" if "best_step" in q else " so far in its run"
        lines.append(f"  {'Quality (SWD):':<24}best {q['best']:.2f}{where}")
    if "copies" in summary:
        c = summary["copies"]
        lines.append(f"  {'Copy check:':<24}{c['latest']:.0%} of samples nearly copy a training image "
                     f"(step {c['step']:,}; highest {c['highest']:.0%}){'  - the model is copying its data' if c['copying'] else ''}")
    if "pictures_from" in summary:
        chosen = summary["pictures_from"]
        lines.append(
            f"  {'Pictures come from:':<24}{chosen['checkpoint']}, step {chosen['step']:,} (SWD {chosen['swd']:.2f}): "
            f"{chosen['reason']}"
        )
    if summary.get("checkpoints") is not None:
        lines.append(f"  {'Checkpoints:':<24}{', '.join(summary['checkpoints']) or 'none yet'}")
    if summary.get("samples") is not None:
        lines.append(f"  {'Sample grids:':<24}{summary['samples']}")
    print("\n".join(lines))
    return 0
