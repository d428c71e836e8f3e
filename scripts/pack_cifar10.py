"""Make assets/cifar10-jpeg.npz, the compact copy of CIFAR-10 that ships with CNN Lab, from the JPEG
copy in ../shared/data (60,000 JPEG files of quality about 75 that share one 623-byte header). It
keeps what cnnlib.cifar10_pack reads: the header once, every file's scan data end to end, each
file's length, its label and its split; the file names and 64-bit offsets of the shared copy are
left out (18 MB instead of 21). Run once, by whoever updates the copy:

    .venv/bin/python scripts/pack_cifar10.py [--source ../shared/data/cifar10-jpeg.npz]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "cifar10-jpeg.npz"))
    ap.add_argument("--out", default=str(ROOT / "assets" / "cifar10-jpeg.npz"))
    args = ap.parse_args()
    with np.load(args.source) as z:
        header, payload, offsets = z["header"], z["payload"], z["offsets"]
        labels, split, classes = z["labels"], z["split"], z["classes"]
    lengths = np.diff(offsets)
    assert lengths.max() < 2**16 and labels.max() < 2**8, "the compact format's field sizes"
    np.savez(args.out, header=header.astype(np.uint8), payload=payload.astype(np.uint8),
             lengths=lengths.astype(np.uint16), labels=labels.astype(np.uint8), split=split.astype(np.uint8),
             classes=np.array([str(c) for c in classes]))
    print(f"wrote {args.out}: {Path(args.out).stat().st_size / 2**20:.1f} MB, {len(labels):,} images")


if __name__ == "__main__":
    main()
