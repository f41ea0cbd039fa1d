"""`ganstudio export-model`: the generator alone, to share or to use in another tool.

`.pt` (ours, small), `.safetensors` (weights plus settings, no pickle) or `.onnx` (a graph for
realtime tools); the format follows --format, else the --out file's ending (share.py)."""

from __future__ import annotations

import argparse

from ganstudio.cli.common import FileProblem, UserError


def run_export_model(args: argparse.Namespace) -> int:
    from ganstudio.checkpoint import save_generator_only
    from ganstudio.share import MissingPackage, format_of, write_onnx, write_safetensors

    kind = format_of(args.out, args.format)
    writer = {"pt": save_generator_only, "safetensors": write_safetensors, "onnx": write_onnx}[kind]
    try:
        written = writer(args.model, args.out, prefer=args.checkpoint)
    except MissingPackage as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise FileProblem(f"Cannot write '{args.out}': {exc.strerror or exc}.") from None
    what = {"pt": "generator only, for GAN Studio", "safetensors": "generator weights with the run's settings",
            "onnx": "input z (batch, z_dim), output image 0..1 (batch, channels, H, W)"}[kind]
    print(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB, {what}).")
    return 0
