"""`ganstudio check-data SOURCE`: the data clinic from the terminal (data/clinic.py).

Prints what would train badly (duplicates, near-duplicates, small, stretched, odd ones out),
or all of it as JSON for scripts. It exits 0 whatever it finds: findings are advice, not
errors. `--write-exclusions FILE` writes "keep one of each" as a list that
`ganstudio train --exclude FILE` (or the app's Data page) reads.
"""

from __future__ import annotations

import argparse
import sys

from ganstudio.cli.common import FileProblem, say
from ganstudio.wording import printable


def run_check_data(args: argparse.Namespace) -> int:
    from ganstudio.data import load_images
    from ganstudio.data.clinic import examine

    images = load_images(args.source, resolution=args.resolution, fit=args.fit, color="rgb",
                         frame_rate=args.frame_rate or 0.0)
    report = examine(images.images, images.names, resolution=args.resolution, fit=args.fit, source=args.source)
    if args.write_exclusions:
        _write_list(args.write_exclusions, report.extra_copies(), args.source)
    if args.json:
        sys.stdout.write(report.to_json() + "\n")
        return 0
    say(printable(report.summary()))
    for title, groups in (("Exact duplicates", report.exact), ("Near-duplicates", report.near)):
        for group in groups:
            names = [report.names[i] for i in group]
            say(printable(f"  {title[:-1].lower()}: keep {names[0]}; also {', '.join(names[1:])}"))
    for flags in (report.small, report.stretched, report.odd):
        for flag in flags:
            say(printable(f"  {flag.name}: {flag.reason}"))
    if report.finding_count and not args.write_exclusions:
        say("Nothing was changed. To leave the extra copies out: --write-exclusions FILE, "
            "then ganstudio train --exclude FILE.")
    return 0


def _write_list(path: str, names: list[str], source: str) -> None:
    text = f"# Images of {source} to leave out (ganstudio check-data); one name per line.\n"
    text += "".join(name + "\n" for name in names)
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
    except OSError as exc:
        raise FileProblem(f"Cannot write '{path}': {exc.strerror or exc}.") from None
    say(printable(f"Wrote {len(names):,} name{'s' if len(names) != 1 else ''} to leave out to {path}."))
