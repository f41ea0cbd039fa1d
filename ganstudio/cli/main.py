"""`ganstudio train | generate | info | export-model` for terminals and GPU servers, and
`ganstudio [FILE]` to open the app (on a piece, a run or a folder of images).

Every user mistake (a bad number, a missing folder, a foreign checkpoint) ends with one
plain line on stderr and a documented exit code (cli/common.py), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Sequence

from ganstudio.wording import printable
from ganstudio.cli.common import (
    EXIT_CODES_HELP,
    EXIT_CRASHED,
    EXIT_FILES,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    FileProblem,
    Parser,
    UserError,
    non_negative_int,
    positive_float,
    positive_int,
    resolution,
    truncation,
)


def build_parser() -> argparse.ArgumentParser:
    from ganstudio import __version__
    from ganstudio.presets import PRESETS

    parser = Parser(
        prog="ganstudio",
        usage="ganstudio [-h] [--version] [FILE | COMMAND ...]",
        description="Train a GAN on your own images and explore what it learned. With no command, the app "
        "opens; with a FILE (a saved piece, a run folder, a folder or zip of images) it opens on that.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"GAN Studio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    train = sub.add_parser("train", help="train a GAN on a folder, a zip file or a demo set")
    train.add_argument("--data", help="folder or .zip of images, or demo:shapes / demo:landscapes")
    train.add_argument("--out", required=True, help="run folder to create (or to continue with --resume)")
    train.add_argument("--resolution", type=resolution, help="image size in pixels: 16, 32, 64, 128 or 256")
    train.add_argument(
        "--preset",
        help="; ".join(f"{k}: {p.summary}" for k, p in PRESETS.items()) + " (default: chosen for your data and device)",
    )
    limit = train.add_mutually_exclusive_group()
    limit.add_argument("--steps", type=positive_int, help="stop when the run reaches this step (with --resume too)")
    limit.add_argument(
        "--minutes", type=positive_float,
        help="stop after this many minutes of training (with --resume: this many more minutes)",
    )
    train.add_argument("--batch", type=positive_int, help="images per step (all processes together)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default=None, help="where to train (default: best available)")
    train.add_argument("--seed", type=non_negative_int, help="random seed (default 0)")
    train.add_argument("--threads", type=positive_int, help="CPU threads for training (default: all cores)")
    train.add_argument(
        "--compile", action="store_true", help="torch.compile the networks (slower start; can pay off on a GPU)"
    )
    train.add_argument("--config", help="a config.json with every setting (as written into run folders)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    train.add_argument(
        "--init-from", metavar="RUN_DIR|CHECKPOINT",
        help="start the new run from this model's weights instead of from scratch (a small set "
        "learns in minutes); its size, colour and network shape carry over",
    )
    train.add_argument(
        "--colour", "--color", dest="colour", choices=("auto", "rgb", "gray"),
        help="train in colour or grayscale (default auto: grayscale when every image is)",
    )
    train.add_argument("--gray", action="store_true", help="the same as --colour gray")
    train.add_argument(
        "--mirror", choices=("auto", "on", "off"),
        help="also train on left-right mirrored images (default auto: off for text, logos and other "
        "subjects whose mirror image looks wrong, measured on your images)",
    )
    train.add_argument("--fit", choices=("crop", "pad"), help="make images square by centre-cropping or padding")
    train.add_argument(
        "--exclude", metavar="FILE",
        help="leave out the images named in FILE, one per line (as `check-data --write-exclusions` writes it)",
    )
    train.add_argument(
        "--frame-rate", type=positive_float, metavar="FPS",
        help="with a video as --data: frames to take per second (default: about 1,000 frames in all)",
    )
    train.add_argument(
        "--loss", choices=("ns", "hinge", "lsgan", "wgan-gp", "rpgan"),
        help="the objective instead of the preset's (rpgan: R3GAN's relativistic pairing with R1 and R2 penalties)",
    )
    train.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="any setting of config.json after the preset, e.g. --set train.lr_g=0.0003 (repeatable)",
    )
    chatter = train.add_mutually_exclusive_group()
    chatter.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary; errors and warnings only")
    chatter.add_argument("-v", "--verbose", action="store_true", help="also print every tick's figures (one line each)")

    gen = sub.add_parser(
        "generate",
        help="write images from a trained run or checkpoint, or re-render a saved piece (PNG) at another size",
    )
    gen.add_argument(
        "model",
        metavar="RUN_DIR|CHECKPOINT|PIECE.png",  # a checkpoint: .pt or .safetensors
        help="a run folder or checkpoint to draw new images from, or a PNG saved by GAN Studio to re-render",
    )
    gen.add_argument("--n", type=positive_int, default=16, help="how many images (default 16)")
    gen.add_argument("--seed", type=non_negative_int, default=0, help="first seed; image i uses seed+i (default 0)")
    gen.add_argument("--out", required=True, help="folder to write PNGs into")
    gen.add_argument("--grid", action="store_true", help="also write all images as one grid")
    gen.add_argument("--truncation", type=truncation, default=1.0, help="psi: below 1 trades variety for typical images")
    size = gen.add_mutually_exclusive_group()
    size.add_argument("--scale", type=positive_int, default=None, help="upscale each image by this whole factor")
    size.add_argument("--size", type=positive_int, default=None, help="width of each image in pixels")
    gen.add_argument("--smooth", action="store_true", help="smooth (Lanczos) upscaling instead of crisp pixel blocks")
    gen.add_argument("--checkpoint", choices=("best", "latest"), default="best", help="which checkpoint of a run folder")
    gen.add_argument(
        "--model",
        dest="render_model",
        metavar="RUN_DIR|CHECKPOINT",
        help="with PIECE.png: render it with this model instead of the one its recipe names",
    )

    slim = sub.add_parser(
        "export-model",
        help="write the generator alone: .pt for GAN Studio, .safetensors or .onnx for other tools",
    )
    slim.add_argument("model", metavar="RUN_DIR|CHECKPOINT")
    slim.add_argument("--out", required=True, help="the file to write (.pt, .safetensors or .onnx)")
    slim.add_argument(
        "--format", choices=("pt", "safetensors", "onnx"),
        help="pt: GAN Studio's own; safetensors: weights + settings, no pickle; onnx: a graph for realtime "
        "tools, input z, output image in 0..1 (default: from the --out file's ending)",
    )
    slim.add_argument("--checkpoint", choices=("best", "latest"), default="best", help="which checkpoint of a run folder")

    desktop = sub.add_parser(
        "install-desktop", help="add GAN Studio to this Linux desktop's applications menu and \"Open with\"",
    )
    desktop.add_argument("--remove", action="store_true", help="take it out of the menu again")

    check = sub.add_parser(
        "check-data", help="look for duplicates, near-duplicates, small, stretched and odd images in a data set",
    )
    check.add_argument("source", metavar="FOLDER|ZIP|VIDEO", help="what you would train on")
    check.add_argument("--resolution", type=resolution, default=32, help="the training size to judge by (default 32)")
    check.add_argument("--fit", choices=("crop", "pad"), default="crop", help="how images would be made square")
    check.add_argument("--frame-rate", type=positive_float, metavar="FPS", help="for a video: frames per second to take")
    check.add_argument("--json", action="store_true", help="everything found, as JSON")
    check.add_argument(
        "--write-exclusions", metavar="FILE",
        help="write every duplicate but one of each group to FILE, for train --exclude",
    )

    info = sub.add_parser("info", help="show what is in a run folder or checkpoint")
    info.add_argument("target", metavar="RUN_DIR|CHECKPOINT")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


COMMANDS = ("train", "generate", "export-model", "info", "install-desktop", "check-data")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        return _open_file_in_app(argv[0])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no command: open the desktop app
        from ganstudio.cli.app_launcher import open_app

        return open_app()
    import logging

    # What the trainer logs as a warning also reaches the terminal as an event line (train.py);
    # without this, Python's last-resort handler would print each one a second time.
    logging.getLogger("ganstudio").addHandler(logging.NullHandler())
    from ganstudio.checkpoint import CheckpointError
    from ganstudio.config import ConfigError
    from ganstudio.data import DataCancelled, DataError
    from ganstudio.device import DeviceError
    from ganstudio.training.trainer import TrainingError
    from ganstudio.runs.folder import RunFolderError

    from ganstudio.cli.check_data import run_check_data
    from ganstudio.cli.desktop import run_install_desktop
    from ganstudio.cli.export_model import run_export_model
    from ganstudio.cli.generate import run_generate
    from ganstudio.cli.info import run_info
    from ganstudio.cli.train import run_train

    handlers = {"train": run_train, "generate": run_generate, "info": run_info, "export-model": run_export_model,
                "install-desktop": run_install_desktop, "check-data": run_check_data}
    try:
        return handlers[args.command](args)
    except FileProblem as exc:
        print(printable(f"ganstudio {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_FILES
    except (UserError, ConfigError) as exc:
        print(printable(f"ganstudio {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except (DataError, CheckpointError, RunFolderError, DeviceError, TrainingError) as exc:
        print(printable(f"ganstudio {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_FILES
    except DataCancelled:
        print(f"ganstudio {args.command}: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"ganstudio {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug of ours: one line for the user, the details in a file
        from ganstudio.places import write_crash_report

        report = write_crash_report(
            f"ganstudio {' '.join(argv)}\n\n{traceback.format_exc()}", what=args.command.replace("-", "_")
        )
        where = f"; details in {report}" if report is not None else ""
        print(printable(f"ganstudio {args.command}: unexpected error: {type(exc).__name__}: {exc}{where}"), file=sys.stderr)
        return EXIT_CRASHED


def _open_file_in_app(target: str) -> int:
    """`ganstudio PIECE.png`, `ganstudio RUN_DIR`, `ganstudio FOLDER`: what a file manager's
    "Open with GAN Studio" runs. A word that is neither a command nor a file is a typo."""
    path = Path(target)
    if not path.exists():
        if os.sep in target or "/" in target or path.suffix:
            print(printable(f"ganstudio: error: there is no file or folder '{target}'"), file=sys.stderr)
        else:
            known = ", ".join(COMMANDS)
            print(printable(f"ganstudio: error: '{target}' is neither a command ({known}) nor a file or folder"),
                  file=sys.stderr)
        return EXIT_USAGE
    from ganstudio.cli.app_launcher import open_app

    return open_app([sys.argv[0] if sys.argv else "ganstudio", str(path)])


if __name__ == "__main__":
    sys.exit(main())
