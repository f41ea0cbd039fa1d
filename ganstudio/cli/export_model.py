"""`ganstudio export-model`: a small generator-only checkpoint to share or explore."""

from __future__ import annotations

import argparse

from ganstudio.cli.common import FileProblem


def run_export_model(args: argparse.Namespace) -> int:
    from ganstudio.checkpoint import save_generator_only

    try:
        written = save_generator_only(args.model, args.out, prefer=args.checkpoint)
    except OSError as exc:
        raise FileProblem(f"Cannot write '{args.out}': {exc.strerror or exc}.") from None
    print(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB, generator only).")
    return 0
