"""Data sets for GAN Studio: image folders, zip files and procedural demo sets.

Pure Python (never Qt): scanning, safe decoding, caching and batch sampling.
"""

from ganstudio.data.decode import decode_image
from ganstudio.data.demo import list_demo_sets, make_demo_set
from ganstudio.data.errors import DataCancelled, DataError, SkippedFile
from ganstudio.data.load import ImageSet, load_images

__all__ = [
    "DataCancelled",
    "DataError",
    "ImageBank",
    "ImageSet",
    "SkippedFile",
    "decode_image",
    "list_demo_sets",
    "load_images",
    "make_demo_set",
]


def __getattr__(name: str):
    # ImageBank needs torch, which takes a second or more to import; scanning a
    # folder or listing demo sets (CLI "info", a GUI file dialog) should not pay that.
    if name == "ImageBank":
        from ganstudio.data.bank import ImageBank

        return ImageBank
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
