"""`ganstudio train`: a new run, or more of an old one (`--resume`), on this machine or under torchrun."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ganstudio.cli.common import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_OK, FileProblem, UserError, say
from ganstudio.training.report import EventKind, RunState
from ganstudio.wording import format_duration, printable


def run_train(args: argparse.Namespace) -> int:
    from ganstudio.training.distributed import context_from_env
    from ganstudio.runs.folder import RunFolder

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileProblem(f"'{out}' is a file, not a folder.")
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
    from ganstudio.plan import RunEdits, apply_edits, compose_run, decide_data, describe_color, describe_mirror, parse_override
    from ganstudio.presets import choose_preset, get_preset
    from ganstudio.runs.folder import RunFolder, foreign_files_message
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
                raise FileProblem(f"'{out}' has no config.json, and its checkpoint's settings can't be used: {exc}") from None
            if ctx.is_main:
                say(f"'{out}' has no config.json: continuing with the settings saved in its latest checkpoint.")
        else:
            raise FileProblem(f"Nothing to resume: '{out}' is not a run folder (it has no config.json).")
        start_over = not run.has_checkpoint()
        if start_over and not run.is_ours():
            raise FileProblem(foreign_files_message(out, run.foreign_entries()) + " (--resume: it has no checkpoint to continue.)")
    else:
        if run.exists() and run.has_checkpoint():
            raise FileProblem(f"'{out}' already holds a run; add --resume to continue it, or choose another --out.")
        foreign = run.foreign_entries()
        if foreign:
            raise FileProblem(foreign_files_message(out, foreign))
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
    if getattr(args, "exclude", None):
        from ganstudio.data import DataError
        from ganstudio.data.clinic import load_exclusions

        try:
            config.data.exclude = sorted(set(config.data.exclude) | set(load_exclusions(args.exclude)))
        except DataError as exc:
            raise FileProblem(str(exc)) from None
    if getattr(args, "frame_rate", None):
        config.data.frame_rate = args.frame_rate

    device = init_distributed(ctx, config.train.device) if ctx.enabled else pick_device(config.train.device)
    clean_exit = False
    try:
        if start_over and ctx.is_main:
            say(f"'{out}' has no checkpoint yet (it was stopped before its first save): starting it over with its own settings.")
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
            if use_preset and not args.preset:
                preset_key = choose_preset(images.count, device.type)
            config = compose_run(config.data, preset_key if use_preset else None, images.count,
                                 RunEdits(batch=args.batch, seed=args.seed), base=config)
            if start is not None:
                config = adopt(config, start, resolution_chosen=True)  # the preset must not reshape the network
            # The loss and --set come last: they may change what the preset or the start model chose.
            overrides = dict(parse_override(item) for item in args.overrides)
            config = apply_edits(config, RunEdits(loss=args.loss, overrides=overrides))

        if ctx.is_main and not args.quiet:
            say(f"Training on {describe_device(device)}" + (f" x {ctx.world_size} processes" if ctx.enabled else ""))
            say(f"Data: {images.count} images from {config.data.source}" + (" (cached)" if images.from_cache else ""))
            say(f"Colour: {describe_color(config.data)}")
            say(f"Mirroring: {describe_mirror(config.data)}")
            if images.skipped:
                say(f"Skipped {len(images.skipped)} file(s) that could not be used:")
                for item in images.skipped[:20]:
                    say(f"  {item.path}: {item.reason}")
                if len(images.skipped) > 20:
                    say(f"  ... and {len(images.skipped) - 20} more")
        resume = args.resume and not start_over
        trainer = Trainer(
            config, images.images, out, device=device, dist=ctx, resume=resume, skipped=images.skipped, start=start
        )
        if resume and args.minutes:
            # "--resume --minutes 5" means five more minutes, not five minutes in all.
            trainer.config.train.minutes = trainer.elapsed / 60.0 + args.minutes
        if ctx.is_main and not args.quiet:
            c = trainer.config
            say(
                f"Preset {c.preset}: {c.model.arch} at {c.data.resolution}px, loss {c.loss.kind}, batch {trainer.batch}, "
                f"{trainer.precision.describe()}" + (f", augmentation {c.augment.policy}" if c.augment.policy else "")
            )
            if resume:
                say(f"Resuming at step {trainer.step_count}.")
            elif c.train.init_from:
                frozen = f", the discriminator's first {c.train.freeze_d_layers} layer(s) frozen" if c.train.freeze_d_layers else ""
                say(f"Starting from {c.train.init_from}{frozen}.")
        if ctx.is_main and images.skipped:
            for item in images.skipped:
                trainer.folder.log(f"Skipped {item.path}: {item.reason}")
        code = _train_loop(trainer, show_progress=ctx.is_main and not args.quiet,
                           verbose=ctx.is_main and getattr(args, "verbose", False))
        clean_exit = True
        return code
    finally:
        if ctx.enabled:
            shutdown_distributed(ctx, clean=clean_exit)


def _load_data(config, ctx, *, quiet: bool, load_images):
    """Rank 0 decodes (and fills the cache) first; the other ranks then read the cache."""
    d = config.data
    from ganstudio.config import parse_color

    def load():
        return load_images(d.source, resolution=d.resolution, fit=d.fit, color=d.color, background=parse_color(d.background),
                           exclude=d.exclude, frame_rate=d.frame_rate)

    if ctx.enabled:
        images = load() if ctx.is_main else None
        ctx.barrier()
        return images if images is not None else load()
    return load()


def _train_loop(trainer, *, show_progress: bool, verbose: bool = False) -> int:
    from tqdm import tqdm

    cfg = trainer.config.train
    bar = None
    # A progress bar only on a terminal: redirected to a file (a GPU server's job log, nohup),
    # its redraws would fill the file; events and the summary still go there as lines.
    if show_progress and sys.stderr.isatty():
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

    interrupts = {"count": 0, "name": ""}

    def on_signal(signum, frame):  # first Ctrl+C: stop cleanly with a checkpoint; second: give up
        interrupts["count"] += 1
        interrupts["name"] = "Ctrl+C" if signum == signal.SIGINT else signal.Signals(signum).name
        if interrupts["count"] > 1:
            raise KeyboardInterrupt
        trainer.request_stop()
        message = "Stopping after this step and saving a checkpoint (press Ctrl+C again to quit at once)..."
        if bar is not None:
            bar.write(message)
        elif show_progress:
            print(message, file=sys.stderr)

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
            if verbose:
                line = _tick_line(report)
                bar.write(line) if bar is not None else print(line, file=sys.stderr)
            if bar is None:
                for event in report.events:
                    if show_progress or event.kind is not EventKind.NEW_BEST:  # --quiet: warnings only
                        print(printable(event.text), file=sys.stderr)
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
                bar.write(printable(event.text))
    finally:
        if bar is not None:
            bar.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    if interrupts["count"] and trainer.writes_files and last is not None:
        trainer.folder.log(f"Stopped by {interrupts['name']} at step {last.step}; the checkpoint of that step was saved.")
    if last is not None and trainer.writes_files and show_progress:
        state = {"finished": "Finished", "stopped": "Stopped", "diverged": "Stopped: training diverged"}.get(last.state, last.state)
        say(f"{state} at step {last.step} after {format_duration(last.elapsed)}. Run folder: {trainer.folder.root}")
        if last.best_quality is not None:
            say(f"Best quality (sliced Wasserstein distance, lower is better): {last.best_quality:.2f}")
    if last is not None and last.state == RunState.DIVERGED:
        return EXIT_DIVERGED
    return EXIT_INTERRUPTED if interrupts["count"] else EXIT_OK


def _tick_line(report) -> str:
    values = report.last
    line = (f"step {report.step}  {format_duration(report.elapsed)}  {report.images_per_second:,.0f} img/s  "
            f"D {values['d_loss']:.4f}  G {values['g_loss']:.4f}")
    if report.best_quality is not None:
        line += f"  best SWD {report.best_quality:.3f}"
    return line
