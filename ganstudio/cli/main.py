"""`ganstudio train | generate | info` for terminals and GPU servers.

Every user mistake (a bad number, a missing folder, a foreign checkpoint) ends with one
plain line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import NoReturn, Sequence

from ganstudio.wording import format_duration

EXIT_USAGE = 2


class UserError(Exception):
    """Something the user can fix; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _resolution(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 16, 32, 64, 128 or 256, got '{text}'") from None
    if value not in (16, 32, 64, 128, 256):
        raise argparse.ArgumentTypeError(f"must be 16, 32, 64, 128 or 256 pixels, got {value}")
    return value


def _truncation(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 2, got '{text}'") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from ganstudio import __version__
    from ganstudio.presets import PRESETS

    parser = _Parser(prog="ganstudio", description="Train a GAN on your own images and explore what it learned.")
    parser.add_argument("--version", action="version", version=f"GAN Studio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    train = sub.add_parser("train", help="train a GAN on a folder, a zip file or a demo set")
    train.add_argument("--data", help="folder or .zip of images, or demo:shapes / demo:landscapes")
    train.add_argument("--out", required=True, help="run folder to create (or to continue with --resume)")
    train.add_argument("--resolution", type=_resolution, help="image size in pixels: 16, 32, 64, 128 or 256")
    train.add_argument(
        "--preset",
        help="; ".join(f"{k}: {p.summary}" for k, p in PRESETS.items()) + " (default: chosen for your data and device)",
    )
    limit = train.add_mutually_exclusive_group()
    limit.add_argument("--steps", type=_positive_int, help="stop after this many steps")
    limit.add_argument("--minutes", type=_positive_float, help="stop after this many minutes of training")
    train.add_argument("--batch", type=_positive_int, help="images per step (all processes together)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default=None, help="where to train (default: best available)")
    train.add_argument("--seed", type=_non_negative_int, help="random seed (default 0)")
    train.add_argument("--threads", type=_positive_int, help="CPU threads for training (default: all cores)")
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
        "--loss", choices=("ns", "hinge", "lsgan", "wgan-gp", "rpgan"),
        help="the objective instead of the preset's (rpgan: R3GAN's relativistic pairing with R1 and R2 penalties)",
    )
    train.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="any setting of config.json after the preset, e.g. --set train.lr_g=0.0003 (repeatable)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    gen = sub.add_parser(
        "generate",
        help="write images from a trained run or checkpoint, or re-render a saved piece (PNG) at another size",
    )
    gen.add_argument(
        "model",
        metavar="RUN_DIR|CHECKPOINT|PIECE.png",
        help="a run folder or checkpoint to draw new images from, or a PNG saved by GAN Studio to re-render",
    )
    gen.add_argument("--n", type=_positive_int, default=16, help="how many images (default 16)")
    gen.add_argument("--seed", type=_non_negative_int, default=0, help="first seed; image i uses seed+i (default 0)")
    gen.add_argument("--out", required=True, help="folder to write PNGs into")
    gen.add_argument("--grid", action="store_true", help="also write all images as one grid")
    gen.add_argument("--truncation", type=_truncation, default=1.0, help="psi: below 1 trades variety for typical images")
    size = gen.add_mutually_exclusive_group()
    size.add_argument("--scale", type=_positive_int, default=None, help="upscale each image by this whole factor")
    size.add_argument("--size", type=_positive_int, default=None, help="width of each image in pixels")
    gen.add_argument("--smooth", action="store_true", help="smooth (Lanczos) upscaling instead of crisp pixel blocks")
    gen.add_argument("--checkpoint", choices=("best", "latest"), default="best", help="which checkpoint of a run folder")
    gen.add_argument(
        "--model",
        dest="render_model",
        metavar="RUN_DIR|CHECKPOINT",
        help="with PIECE.png: render it with this model instead of the one its recipe names",
    )

    slim = sub.add_parser("export-model", help="write a small generator-only checkpoint to share or explore")
    slim.add_argument("model", metavar="RUN_DIR|CHECKPOINT")
    slim.add_argument("--out", required=True, help="the .pt file to write")
    slim.add_argument("--checkpoint", choices=("best", "latest"), default="best", help="which checkpoint of a run folder")

    info = sub.add_parser("info", help="show what is in a run folder or checkpoint")
    info.add_argument("target", metavar="RUN_DIR|CHECKPOINT")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no command: open the desktop app
        from ganstudio.gui.app import main as run_app

        return run_app(sys.argv[:1])
    from ganstudio.checkpoint import CheckpointError
    from ganstudio.config import ConfigError
    from ganstudio.data import DataCancelled, DataError
    from ganstudio.device import DeviceError
    from ganstudio.training.trainer import TrainingError
    from ganstudio.runs.folder import RunFolderError

    handlers = {"train": _cmd_train, "generate": _cmd_generate, "info": _cmd_info, "export-model": _cmd_export_model}
    try:
        return handlers[args.command](args)
    except (UserError, ConfigError, DataError, CheckpointError, RunFolderError, DeviceError, TrainingError) as exc:
        print(f"ganstudio {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataCancelled:
        print(f"ganstudio {args.command}: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"ganstudio {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the details in a file
        report = Path(os.environ.get("TMPDIR", "/tmp")) / f"ganstudio-error-{os.getpid()}.txt"
        try:
            report.write_text(traceback.format_exc(), encoding="utf-8")
            where = f"; details in {report}"
        except OSError:
            where = ""
        print(f"ganstudio {args.command}: unexpected error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------- train
def _cmd_train(args: argparse.Namespace) -> int:
    from ganstudio.training.distributed import context_from_env
    from ganstudio.runs.folder import RunFolder

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"'{out}' is a file, not a folder.")
    ctx = context_from_env()
    # One trainer per run folder: a second `ganstudio train` on it (from another terminal)
    # would overwrite this one's checkpoints. Held from before the folder is read.
    lock = RunFolder(out).lock() if ctx.is_main else None
    try:
        return _train(args, out, ctx)
    finally:
        if lock is not None:
            lock.release()


def _train(args: argparse.Namespace, out: Path, ctx) -> int:
    from ganstudio.checkpoint import load_checkpoint
    from ganstudio.config import ConfigError, RunConfig
    from ganstudio.data import load_images
    from ganstudio.device import describe_device, pick_device
    from ganstudio.training.distributed import init_distributed, shutdown_distributed
    from ganstudio.training.trainer import Trainer
    from ganstudio.plan import decide_data, describe_color, describe_mirror
    from ganstudio.presets import apply_preset, choose_preset, get_preset, with_loss
    from ganstudio.runs.folder import RunFolder
    from ganstudio.training.warm_start import adopt, load_starting_point

    run = RunFolder(out)
    start = None  # a model to start from (--init-from)
    start_over = False  # a run that was stopped before its first checkpoint: nothing to continue or to lose
    if args.resume:
        if (args.config or args.preset or args.resolution or args.gray or args.colour or args.mirror or args.fit
                or args.batch or args.seed is not None or args.loss or args.overrides or args.init_from):
            raise UserError("--resume continues a run with its own settings; only --steps, --minutes, --device and --data may change.")
        if run.exists():
            config = run.read_config()
        elif run.checkpoint_path("latest").is_file():
            # config.json is gone (only checkpoints/ was copied back, say): every checkpoint
            # carries its run's settings, and resuming writes config.json again.
            try:
                config = RunConfig.from_dict(load_checkpoint(run.checkpoint_path("latest"))["config"])
            except ConfigError as exc:
                raise UserError(f"'{out}' has no config.json, and its checkpoint's settings can't be used: {exc}") from None
            if ctx.is_main:
                _say(f"'{out}' has no config.json: continuing with the settings saved in its latest checkpoint.")
        else:
            raise UserError(f"Nothing to resume: '{out}' is not a run folder (it has no config.json).")
        start_over = not run.has_checkpoint()
    else:
        if run.exists() and run.has_checkpoint():
            raise UserError(f"'{out}' already holds a run; add --resume to continue it, or choose another --out.")
        config = RunConfig.from_json_file(args.config) if args.config else RunConfig()
        if not args.data and not args.config:
            raise UserError("Say what to train on: --data FOLDER, --data FILE.zip or --data demo:shapes.")

    # Flags that are plain overrides, applied before and after the preset.
    if args.data:
        config.data.source = args.data
    if args.steps:
        config.train.steps, config.train.minutes = args.steps, 0.0
    if args.minutes:
        config.train.minutes, config.train.steps = args.minutes, 0
    if args.device:
        config.train.device = args.device
    if args.threads:
        config.train.threads = args.threads
    if args.compile:
        config.train.compile = True
    if args.gray and args.colour not in (None, "gray"):
        raise UserError(f"--gray and --colour {args.colour} contradict each other; give one of them.")
    if args.gray or args.colour:
        config.data.color = "gray" if args.gray else args.colour
        config.data.color_why = ""
    if args.mirror:
        config.data.mirror = args.mirror
        config.data.mirror_why = ""
    if args.fit:
        config.data.fit = args.fit

    device = init_distributed(ctx, config.train.device) if ctx.enabled else pick_device(config.train.device)
    clean_exit = False
    try:
        if start_over and ctx.is_main:
            _say(f"'{out}' has no checkpoint yet (it was stopped before its first save): starting it over with its own settings.")
        if not args.resume:
            use_preset = bool(args.preset) or not args.config
            preset_key = get_preset(args.preset).key if args.preset else choose_preset(10**9, device.type)
            if args.resolution:
                config.data.resolution = args.resolution
            elif use_preset and not args.config:
                config.data.resolution = get_preset(preset_key).resolution if device.type != "cpu" else 32
            if args.init_from:
                start = load_starting_point(args.init_from)
                config = adopt(config, start, resolution_chosen=bool(args.resolution))
        config.validate()

        images = _load_data(config, ctx, quiet=args.quiet, load_images=load_images)
        if not config.data.decided:
            config.data, images.images = decide_data(config.data, images.images, traits=images.traits)
        if not args.resume:
            if use_preset:
                if not args.preset:
                    preset_key = choose_preset(images.count, device.type)
                config = apply_preset(config, preset_key, n_images=images.count)
            if args.batch:
                config.train.batch = args.batch
            if args.seed is not None:
                config.train.seed = args.seed
            if start is not None:
                config = adopt(config, start, resolution_chosen=True)  # the preset must not reshape the network
            if args.loss:
                config = with_loss(config, args.loss)
            config = _with_overrides(config, args.overrides)
            config.validate()

        if ctx.is_main and not args.quiet:
            _say(f"Training on {describe_device(device)}" + (f" x {ctx.world_size} processes" if ctx.enabled else ""))
            _say(f"Data: {images.count} images from {config.data.source}" + (" (cached)" if images.from_cache else ""))
            _say(f"Colour: {describe_color(config.data)}")
            _say(f"Mirroring: {describe_mirror(config.data)}")
            if images.skipped:
                _say(f"Skipped {len(images.skipped)} file(s) that could not be used:")
                for item in images.skipped[:20]:
                    _say(f"  {item.path}: {item.reason}")
                if len(images.skipped) > 20:
                    _say(f"  ... and {len(images.skipped) - 20} more")
        resume = args.resume and not start_over
        trainer = Trainer(
            config, images.images, out, device=device, dist=ctx, resume=resume, skipped=images.skipped, start=start
        )
        if ctx.is_main and not args.quiet:
            c = trainer.config
            _say(
                f"Preset {c.preset}: {c.model.arch} at {c.data.resolution}px, loss {c.loss.kind}, batch {c.train.batch}, "
                f"{trainer.precision.describe()}" + (f", augmentation {c.augment.policy}" if c.augment.policy else "")
            )
            if resume:
                _say(f"Resuming at step {trainer.step_count}.")
            elif c.train.init_from:
                frozen = f", the discriminator's first {c.train.freeze_d_layers} layer(s) frozen" if c.train.freeze_d_layers else ""
                _say(f"Starting from {c.train.init_from}{frozen}.")
        if ctx.is_main and images.skipped:
            for item in images.skipped:
                trainer.folder.log(f"Skipped {item.path}: {item.reason}")
        code = _train_loop(trainer, show_progress=ctx.is_main and not args.quiet)
        clean_exit = True
        return code
    finally:
        if ctx.enabled:
            shutdown_distributed(ctx, clean=clean_exit)


def _with_overrides(config, overrides: list[str]):
    """--set section.key=value, each checked like a line of config.json."""
    from ganstudio.config import RunConfig

    if not overrides:
        return config
    raw = config.to_dict()
    for item in overrides:
        name, sep, text = item.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot or not key:
            raise UserError(f"--set takes SECTION.KEY=VALUE, e.g. train.lr_g=0.0003 (got '{item}').")
        if section not in raw or not isinstance(raw[section], dict) or key not in raw[section]:
            raise UserError(f"--set {name}: there is no such setting (see a run's config.json for the names).")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text  # plain words, e.g. --set loss.kind=hinge
        raw[section][key] = value
    return RunConfig.from_dict(raw)


def _load_data(config, ctx, *, quiet: bool, load_images):
    """Rank 0 decodes (and fills the cache) first; the other ranks then read the cache."""
    d = config.data
    from ganstudio.config import parse_color

    def load():
        return load_images(d.source, resolution=d.resolution, fit=d.fit, color=d.color, background=parse_color(d.background))

    if ctx.enabled:
        images = load() if ctx.is_main else None
        ctx.barrier()
        return images if images is not None else load()
    return load()


def _train_loop(trainer, *, show_progress: bool) -> int:
    from tqdm import tqdm

    cfg = trainer.config.train
    bar = None
    if show_progress:
        if cfg.steps:
            bar = tqdm(total=cfg.steps, initial=trainer.step_count, unit="step", dynamic_ncols=True)
        elif cfg.minutes:
            # A time limit: the bar counts training seconds; the rate that matters is in the postfix.
            bar = tqdm(
                total=round(cfg.minutes * 60),
                initial=round(trainer.elapsed),
                dynamic_ncols=True,
                bar_format="{percentage:3.0f}%|{bar}| {elapsed}<{remaining}  {postfix}",
            )
        else:
            bar = tqdm(initial=trainer.step_count, unit="step", dynamic_ncols=True)

    interrupts = {"count": 0}

    def on_signal(signum, frame):  # first Ctrl+C: stop cleanly with a checkpoint; second: give up
        interrupts["count"] += 1
        if interrupts["count"] > 1:
            raise KeyboardInterrupt
        trainer.request_stop()
        if bar is not None:
            bar.write("Stopping after this step and saving a checkpoint (press Ctrl+C again to quit at once)...")

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread
            pass
    last = None
    shown_at = trainer.step_count
    try:
        for report in trainer.run():
            last = report
            if bar is None:
                for event in report.events:
                    print(event.text, file=sys.stderr)
                continue
            if cfg.steps:
                bar.update(report.step - shown_at)
            elif cfg.minutes:
                bar.n = min(round(report.elapsed), bar.total)
            else:
                bar.update(report.step - shown_at)
            shown_at = report.step
            values = report.last
            postfix = f"step {report.step}  {report.images_per_second:,.0f} img/s  D {values['d_loss']:.3f}  G {values['g_loss']:.3f}"
            if report.best_quality is not None:
                postfix += f"  SWD {report.best_quality:.2f}"
            bar.set_postfix_str(postfix, refresh=True)
            for event in report.events:
                bar.write(event.text)
    finally:
        if bar is not None:
            bar.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    if last is not None and trainer.writes_files:
        state = {"finished": "Finished", "stopped": "Stopped", "diverged": "Stopped: training diverged"}.get(last.state, last.state)
        _say(f"{state} at step {last.step} after {format_duration(last.elapsed)}. Run folder: {trainer.folder.root}")
        if last.best_quality is not None:
            _say(f"Best quality (sliced Wasserstein distance, lower is better): {last.best_quality:.2f}")
    return 1 if last is not None and last.state == "diverged" else 0


# ---------------------------------------------------------------------------- generate
MAX_PICTURE_SEED = 2**63 - 1  # the largest seed of a picture: what the explorer (explorer_model.Look) takes


def _check_size(side: int, *, scale: int | None, size: int | None, what: str) -> None:
    """Refuse an output size export.upscale can't make, before anything is written."""
    from ganstudio.export import MAX_SIDE

    wanted = size if size is not None else side * (scale or 1)
    if wanted > MAX_SIDE:
        how = f"--size {size}" if size is not None else f"{side} px x --scale {scale}"
        raise UserError(f"{how} would make {what} {wanted} px wide; the most is {MAX_SIDE} px.")


def _cmd_generate(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from ganstudio import __version__
    from ganstudio.checkpoint import load_generator
    from ganstudio.explore.model import Look
    from ganstudio.export import make_grid, save_png, upscale
    from ganstudio.explore.latent import render
    from ganstudio.explore.recipe import make_recipe

    if _is_png(Path(args.model)):
        return _rerender_png(args)
    if args.render_model:
        raise UserError("--model is for re-rendering a saved PNG; give the run folder or checkpoint as the first argument.")
    if args.seed + args.n - 1 > MAX_PICTURE_SEED:
        raise UserError(f"Seeds go up to {MAX_PICTURE_SEED}; --seed {args.seed} with --n {args.n} would pass it.")
    loaded = load_generator(args.model, prefer=args.checkpoint)
    side = loaded.config.data.resolution
    _check_size(side, scale=args.scale, size=args.size, what="each image")
    grid_scale = None
    if args.grid:
        grid_side = max(make_grid(np.zeros((args.n, side, side, 1), np.uint8)).shape[:2])
        grid_scale = args.scale if args.size is None else max(1, round(args.size / side))
        _check_size(grid_side, scale=grid_scale, size=None, what="the grid")
    out = _output_folder(args.out)
    z_dim = loaded.generator.z_dim
    seeds = list(range(args.seed, args.seed + args.n))
    looks = [Look(seed=seed, truncation=args.truncation) for seed in seeds]
    z = torch.stack([look.latent(None, z_dim) for look in looks])
    # One image per forward pass: the explorer and a PNG re-render draw single images,
    # and a batch may round differently in the last bit on some backends.
    images = render(loaded.generator, z, batch_size=1)
    run_name = loaded.path.parent.parent.name if loaded.path.parent.name == "checkpoints" else loaded.path.stem
    written = []
    for look, latent, image in zip(looks, z, images):
        big = upscale(image, scale=args.scale, size=args.size, smooth=args.smooth)
        recipe = make_recipe(
            look, directions=None, direction_names=(), latent=latent, fingerprint=loaded.fingerprint,
            run=run_name, checkpoint=str(loaded.path.resolve()), step=loaded.step, app_version=__version__,
            size=big.shape[1],
        )
        written.append(save_png(out / f"seed-{look.seed:06d}.png", big, recipe=recipe))
    if args.grid:
        grid = upscale(make_grid(images), scale=grid_scale or 1, smooth=args.smooth)
        written.append(save_png(out / f"grid-seed{args.seed}-n{args.n}.png", grid))
    print(f"Wrote {len(written)} PNG file(s) to {out} (model step {loaded.step}, {loaded.path.name}).")
    return 0


def _is_png(path: Path) -> bool:
    if path.suffix.lower() == ".png" and not path.is_dir():
        return True
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def _output_folder(text: str) -> Path:
    out = Path(text)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the output folder '{out}': {exc.strerror or exc}.") from None
    return out


def _rerender_png(args: argparse.Namespace) -> int:
    """`generate PIECE.png`: the same picture again, from its recipe, at another size."""
    import torch

    from ganstudio import __version__
    from ganstudio.checkpoint import CheckpointError, load_generator
    from ganstudio.export import read_recipe, save_png, upscale
    from ganstudio.explore.latent import render
    from ganstudio.explore.recipe import make_recipe, parse_recipe

    piece = Path(args.model)
    try:
        raw = read_recipe(piece)
    except FileNotFoundError:
        raise UserError(f"No file at '{piece}'.") from None
    except OSError as exc:
        raise UserError(f"Cannot read '{piece}': {exc.strerror or exc}.") from None
    if raw is None:
        raise UserError(f"'{piece}' has no GAN Studio recipe (it was not saved by GAN Studio, or an editor removed it).")
    recipe = parse_recipe(raw)
    if recipe is None:
        raise UserError(f"The recipe in '{piece}' is damaged or from a newer GAN Studio; it can't be re-rendered.")

    explicit = args.render_model is not None
    if explicit:
        loaded = _load_matching(args.render_model, recipe.fingerprint, args.checkpoint)
    elif recipe.checkpoint:
        try:
            loaded = load_generator(recipe.checkpoint)
        except CheckpointError as exc:
            raise UserError(
                f"Cannot open the model '{piece.name}' was made with: {exc} Pass --model RUN_DIR|CHECKPOINT to choose one."
            ) from None
    else:
        raise UserError(f"The recipe in '{piece}' names no checkpoint; pass --model RUN_DIR|CHECKPOINT.")
    if loaded.generator.z_dim != recipe.z_dim:
        raise UserError(
            f"'{loaded.path}' takes {loaded.generator.z_dim} latent numbers but '{piece.name}' has {recipe.z_dim}: "
            "it was made by a different kind of model."
        )
    if loaded.fingerprint != recipe.fingerprint:
        message = (
            f"'{piece.name}' was made by generator {recipe.fingerprint}, but '{loaded.path}' holds {loaded.fingerprint}"
        )
        if not explicit:
            raise UserError(message + "; the picture would differ. Pass --model to render it with this model anyway.")
        print(f"ganstudio generate: warning: {message}; rendering with it anyway.", file=sys.stderr)

    _check_size(loaded.config.data.resolution, scale=args.scale, size=args.size, what="the picture")
    out = _output_folder(args.out)
    latent = torch.from_numpy(recipe.latent.copy())
    image = render(loaded.generator, latent[None], batch_size=1)[0]
    big = upscale(image, scale=args.scale, size=args.size, smooth=args.smooth)
    run_name = loaded.path.parent.parent.name if loaded.path.parent.name == "checkpoints" else loaded.path.stem
    new_recipe = make_recipe(
        recipe.look, directions=None, direction_names=recipe.direction_names, latent=latent,
        fingerprint=loaded.fingerprint, run=run_name, checkpoint=str(loaded.path.resolve()), step=loaded.step,
        app_version=__version__, size=big.shape[1],
    )
    target = out / f"{piece.stem}-{big.shape[1]}px.png"
    if target.resolve() == piece.resolve():
        raise UserError(f"That would overwrite '{piece}'; choose another --out.")
    save_png(target, big, recipe=new_recipe)
    print(f"Wrote {target} ({big.shape[1]}x{big.shape[0]} px, model step {loaded.step}, {loaded.path.name}).")
    return 0


def _load_matching(target: str, fingerprint: str, prefer: str):
    """--model: a checkpoint file as given; for a run folder, the checkpoint whose
    generator made the piece if there is one (the artist means "this run"), else the
    preferred one."""
    from ganstudio.checkpoint import CheckpointError, load_generator

    folder = Path(target) / "checkpoints"
    if Path(target).is_dir() and folder.is_dir():
        names = [f"{prefer}.pt", "latest.pt", "best.pt"] + sorted((p.name for p in folder.glob("step-*.pt")), reverse=True)
        for name in dict.fromkeys(names):
            try:
                candidate = load_generator(folder / name)
            except CheckpointError:
                continue
            if candidate.fingerprint == fingerprint:
                return candidate
    return load_generator(target, prefer=prefer)


# ---------------------------------------------------------------------------- export-model
def _cmd_export_model(args: argparse.Namespace) -> int:
    from ganstudio.checkpoint import save_generator_only

    try:
        written = save_generator_only(args.model, args.out, prefer=args.checkpoint)
    except OSError as exc:
        raise UserError(f"Cannot write '{args.out}': {exc.strerror or exc}.") from None
    print(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB, generator only).")
    return 0


# ---------------------------------------------------------------------------- info
def _cmd_info(args: argparse.Namespace) -> int:
    from ganstudio.checkpoint import CheckpointError, load_checkpoint, resolve_checkpoint_path
    from ganstudio.config import RunConfig
    from ganstudio.plan import describe_color, describe_mirror
    from ganstudio.runs.folder import RunFolder, chosen_generator

    target = Path(args.target)
    summary: dict = {"path": str(target)}
    if target.is_dir():
        run = RunFolder(target)
        if not run.exists():
            raise UserError(f"'{target}' is not a run folder (it has no config.json).")
        config = run.read_config()
        stats = run.read_stats()
        summary["kind"] = "run folder"
        summary["checkpoints"] = run.checkpoint_names()
        summary["samples"] = len(run.sample_steps())
        if stats:
            last = stats[-1]
            summary["step"] = last.get("step")
            summary["images_seen"] = last.get("images")
            summary["training_seconds"] = last.get("time")
        quality = [(r["step"], r["swd"]) for r in stats if r.get("swd") is not None]
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


def _say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
