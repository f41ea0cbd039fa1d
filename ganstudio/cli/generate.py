"""`ganstudio generate`: pictures from a run or checkpoint, or a saved piece made again at another size."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganstudio.cli.common import MAX_PICTURE_SEED, FileProblem, UserError, check_size, is_png, output_folder

MAX_PICTURES = 100_000  # per call: a typo of a few zeros must not fill the disk
MAX_GRID_PICTURES = 4_096


def run_generate(args: argparse.Namespace) -> int:
    import math
    import shutil

    import torch

    from ganstudio.checkpoint import load_generator
    from ganstudio.explore.model import Look
    from ganstudio.explore.pieces import ModelSource, grid_recipe, make_grid_of, make_piece, render_one_by_one
    from ganstudio.export import save_png

    if is_png(Path(args.model)):
        return _rerender_png(args)
    if args.render_model:
        raise UserError("--model is for re-rendering a saved PNG; give the run folder or checkpoint as the first argument.")
    if args.seed + args.n - 1 > MAX_PICTURE_SEED:
        raise UserError(f"Seeds go up to {MAX_PICTURE_SEED}; --seed {args.seed} with --n {args.n} would pass it.")
    if args.n > MAX_PICTURES:
        raise UserError(f"--n {args.n:,} is more than one call makes (at most {MAX_PICTURES:,}); "
                        f"make more in several calls, each with its own --seed.")
    if args.grid and args.n > MAX_GRID_PICTURES:
        raise UserError(f"A grid holds at most {MAX_GRID_PICTURES:,} pictures; leave out --grid or ask for fewer.")
    loaded = load_generator(args.model, prefer=args.checkpoint)
    side = loaded.config.data.resolution
    check_size(side, scale=args.scale, size=args.size, what="each image")
    grid_scale = None
    if args.grid:
        cols = math.ceil(math.sqrt(args.n))
        grid_side = max(cols, math.ceil(args.n / cols)) * (side + 2) + 2  # make_grid's layout, without making it
        grid_scale = args.scale if args.size is None else max(1, round(args.size / side))
        check_size(grid_side, scale=grid_scale, size=None, what="the grid")
    out = output_folder(args.out)
    out_side = args.size or side * (args.scale or 1)
    need = args.n * (out_side * out_side * loaded.config.channels + 4096)  # a PNG at worst: raw pixels and its recipe
    free = shutil.disk_usage(out).free
    if need > free:
        raise FileProblem(f"{args.n:,} pictures of {out_side} px could take up to {need / 1e9:,.1f} GB, and '{out}' has "
                        f"{free / 1e9:,.1f} GB free; ask for fewer or a smaller --size.")
    z_dim = loaded.generator.z_dim
    source = ModelSource.of_checkpoint(loaded.path, fingerprint=loaded.fingerprint, step=loaded.step)
    written, kept = [], []
    # Latents, pictures and files a seed at a time: the first file is written at once, and memory
    # stays flat however many are asked for.
    for seed in range(args.seed, args.seed + args.n):
        look = Look(seed=seed, truncation=args.truncation)
        latent = look.latent(None, z_dim)
        big, recipe = make_piece(loaded.generator, look, latent, source, scale=args.scale, size=args.size, smooth=args.smooth)
        written.append(save_png(out / f"seed-{look.seed:06d}.png", big, recipe=recipe))
        if args.grid:
            kept.append(latent)
    if args.grid:
        grid = make_grid_of(render_one_by_one(loaded.generator, torch.stack(kept)), scale=grid_scale or 1, smooth=args.smooth)
        written.append(save_png(out / f"grid-seed{args.seed}-n{args.n}.png", grid,
                                recipe=grid_recipe("grid", source, seed=args.seed)))
    print(f"Wrote {len(written)} PNG file(s) to {out} (model step {loaded.step}, {loaded.path.name}).")
    return 0


def _rerender_png(args: argparse.Namespace) -> int:
    """`generate PIECE.png`: the same picture again, from its recipe, at another size."""
    import torch

    from ganstudio.checkpoint import CheckpointError
    from ganstudio.explore.pieces import ModelSource, make_piece
    from ganstudio.explore.recipe import parse_recipe
    from ganstudio.export import read_recipe, save_png

    piece = Path(args.model)
    try:
        raw = read_recipe(piece)
    except FileNotFoundError:
        raise FileProblem(f"No file at '{piece}'.") from None
    except OSError as exc:
        raise FileProblem(f"Cannot read '{piece}': {exc.strerror or exc}.") from None
    if raw is None:
        raise FileProblem(f"'{piece}' has no GAN Studio recipe (it was not saved by GAN Studio, or an editor removed it).")
    recipe = parse_recipe(raw)
    if recipe is None:
        raise FileProblem(f"The recipe in '{piece}' is damaged or from a newer GAN Studio; it can't be re-rendered.")

    explicit = args.render_model is not None
    if explicit:
        loaded = _load_matching(args.render_model, recipe.fingerprint, args.checkpoint)
    elif recipe.checkpoint or recipe.run:
        from ganstudio.explore.locate import find_model_for

        try:
            loaded = find_model_for(recipe.fingerprint, recipe.run, recipe.checkpoint, piece=piece)
        except CheckpointError as exc:
            raise FileProblem(
                f"Cannot open the model '{piece.name}' was made with: {exc} Pass --model RUN_DIR|CHECKPOINT to choose one."
            ) from None
    else:
        raise UserError(f"The recipe in '{piece}' names no model; pass --model RUN_DIR|CHECKPOINT.")
    if loaded.generator.z_dim != recipe.z_dim:
        raise FileProblem(
            f"'{loaded.path}' takes {loaded.generator.z_dim} latent numbers but '{piece.name}' has {recipe.z_dim}: "
            "it was made by a different kind of model."
        )
    if loaded.fingerprint != recipe.fingerprint:
        message = (
            f"'{piece.name}' was made by generator {recipe.fingerprint}, but '{loaded.path}' holds {loaded.fingerprint}"
        )
        if not explicit:
            raise FileProblem(message + "; the picture would differ. Pass --model to render it with this model anyway.")
        print(f"ganstudio generate: warning: {message}; rendering with it anyway.", file=sys.stderr)

    check_size(loaded.config.data.resolution, scale=args.scale, size=args.size, what="the picture")
    out = output_folder(args.out)
    latent = torch.from_numpy(recipe.latent.copy())
    source = ModelSource.of_checkpoint(loaded.path, fingerprint=loaded.fingerprint, step=loaded.step)
    big, new_recipe = make_piece(loaded.generator, recipe.look, latent, source, scale=args.scale, size=args.size,
                                 smooth=args.smooth, direction_names=recipe.direction_names)
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

    from ganstudio.runs.folder import RunFolder

    if Path(target).is_dir():
        for path in RunFolder(Path(target)).checkpoint_candidates(prefer):
            try:
                candidate = load_generator(path)
            except CheckpointError:
                continue
            if candidate.fingerprint == fingerprint:
                return candidate
    return load_generator(target, prefer=prefer)
