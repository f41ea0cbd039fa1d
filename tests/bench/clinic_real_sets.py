"""How well the data clinic finds planted copies in real image sets, and what it flags unasked.

For each real set (real_sets.py: letters of every installed font, Debian's Noto colour emoji,
crops of scikit-image's photographs; pass --root to reuse folders written before), the first
`--plant` images get a twin each of five kinds: a JPEG re-encode (quality 70), a copy shrunk
to 60%, a copy with 2% and with 4% cut off every edge, and a copy with 8% cut off every edge
(beyond what the clinic promises). The clinic then runs on the set with its twins, as the
app runs it (32 px, crop), and the script prints, per kind, the share of twins found grouped
with their original, and how many groups it found among the untouched images (images that
look alike without being planted: the same glyph in two near-identical fonts, overlapping
crops of one photograph).

    python tests/bench/clinic_real_sets.py --root /tmp/realsets
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = ("jpeg70", "shrunk60", "crop2", "crop4", "crop8")


def _twin(im: Image.Image, kind: str) -> tuple[bytes, str]:
    w, h = im.size
    out = io.BytesIO()
    if kind == "jpeg70":
        im.save(out, "JPEG", quality=70)
        return out.getvalue(), ".jpg"
    if kind == "shrunk60":
        im.resize((int(w * 0.6), int(h * 0.6)), Image.Resampling.BILINEAR).save(out, "PNG")
        return out.getvalue(), ".png"
    cut = int(kind[4:]) / 100
    c = max(1, round(w * cut))
    im.crop((c, c, w - c, h - c)).save(out, "PNG")
    return out.getvalue(), ".png"


def measure(name: str, folder: Path, plant: int) -> None:
    from ganstudio.data import load_images
    from ganstudio.data.clinic import examine

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / name
        shutil.copytree(folder, work)
        originals = sorted(p for p in work.iterdir() if p.suffix == ".png")
        twins = {}
        for path in originals[:plant]:
            im = Image.open(path).convert("RGB")
            for kind in KINDS:
                data, suffix = _twin(im, kind)
                twin = work / f"zz-{path.stem}-{kind}{suffix}"
                twin.write_bytes(data)
                twins[twin.name] = (path.name, kind)
        began = time.perf_counter()
        images = load_images(str(work), resolution=32, cache_dir="")
        report = examine(images.images, images.names, resolution=32, source=str(work))
        seconds = time.perf_counter() - began
    groups = [{report.names[i] for i in g} for g in report.exact + report.near]
    found = {kind: 0 for kind in KINDS}
    for twin, (original, kind) in twins.items():
        found[kind] += any(twin in g and original in g for g in groups)
    unplanted = [g for g in groups if not any(n.startswith("zz-") for n in g)]
    print(f"{name}: {len(originals):,} images + {len(twins)} twins, checked in {seconds:.1f} s (loading included)")
    print("  found: " + ", ".join(f"{kind} {found[kind]}/{plant}" for kind in KINDS))
    print(f"  groups among the untouched images: {len(unplanted)} "
          f"({sum(len(g) - 1 for g in unplanted)} images 'keep one of each' would leave out)")
    print(f"  small {len(report.small)}, stretched {len(report.stretched)}, odd ones out {len(report.odd)}: "
          + ", ".join(f.name for f in report.odd[:5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, help="folder holding fonts/, emoji/, photos/ from real_sets.py")
    parser.add_argument("--sets", nargs="+", default=["fonts", "emoji", "photos"])
    parser.add_argument("--plant", type=int, default=40)
    args = parser.parse_args()
    root = args.root
    if root is None:
        import real_sets

        root = Path(tempfile.mkdtemp(prefix="realsets-"))
        for name in args.sets:
            getattr(real_sets, name)(root / name)
    for name in args.sets:
        measure(name, root / name / "train", args.plant)


if __name__ == "__main__":
    main()
