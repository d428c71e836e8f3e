"""Data sources and batching: CIFAR-10 through the real torchvision code on a tiny fake copy,
image folders and zips, the built-in Shapes-10 set, augmentation and batch indices.

    .venv/bin/python -m pytest tests/test_data.py -q
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from smalldata import flat_png

import cnnlib.data as data_mod
from cnnlib.data import (
    DataError,
    Dataset,
    augment,
    batch_indices,
    cifar10_status,
    flip_crop,
    load_builtin,
    load_cifar10,
    load_dataset,
    load_image_folder,
    make_shapes10,
    to_float,
    tta_views,
)

# --- CIFAR-10 on disk, in its own format ------------------------------------------------------------

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_fake_cifar10(root: Path, per_batch: int = 6, n_test: int = 5) -> dict:
    """cifar-10-batches-py/ as the real archive unpacks: five training batches, a test batch and
    batches.meta, pickled dicts of uint8 rows (N, 3072: R plane, G plane, B plane) and labels.
    The real files are Python 2 pickles whose keys load as str under encoding='latin1'; str keys
    reproduce exactly what torchvision reads. Returns {file name: (rows, labels)} and md5s."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches, md5 = {}, {}

    def dump(name, obj):
        raw = pickle.dumps(obj, protocol=2)
        (folder / name).write_bytes(raw)
        md5[name] = hashlib.md5(raw).hexdigest()

    for name, n in [*[(f"data_batch_{i}", per_batch) for i in range(1, 6)], ("test_batch", n_test)]:
        rows = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        dump(name, {"batch_label": name, "data": rows, "labels": labels, "filenames": [f"{i}.png" for i in range(n)]})
        batches[name] = (rows, labels)
    dump("batches.meta", {"label_names": CLASSES, "num_cases_per_batch": per_batch, "num_vis": 3072})
    return {"batches": batches, "md5": md5}


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    """A fake CIFAR-10 in tmp_path, with torchvision's checksum lists patched (in this test only)."""
    from torchvision.datasets import CIFAR10
    info = write_fake_cifar10(tmp_path)
    md5 = info["md5"]
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    return tmp_path, info["batches"]


def test_cifar10_loads_through_torchvision_as_uint8_tensors(fake_cifar):
    root, batches = fake_cifar
    assert cifar10_status(root) == "ready"
    ds = load_cifar10(root, download=False)
    assert ds.name == "CIFAR-10"
    assert ds.classes == tuple(CLASSES)
    assert ds.x_train.shape == (30, 3, 32, 32) and ds.x_train.dtype == torch.uint8
    assert ds.x_test.shape == (5, 3, 32, 32) and ds.y_test.dtype == torch.int64
    rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    # channel planes in CIFAR's row order land as (N, C, H, W), pixel for pixel
    assert torch.equal(ds.x_train, torch.from_numpy(rows.reshape(-1, 3, 32, 32)))
    assert ds.y_train.tolist() == labels
    assert torch.equal(ds.x_test, torch.from_numpy(batches["test_batch"][0].reshape(-1, 3, 32, 32)))
    assert ds.y_test.tolist() == batches["test_batch"][1]


def test_cifar10_is_cached_as_tensors_and_the_cache_is_reused(fake_cifar):
    root, _ = fake_cifar
    first = load_cifar10(root, download=False)
    cache = root / "cifar10-uint8.pt"
    assert cache.exists()
    assert not list(root.glob("*.tmp"))
    import shutil
    shutil.rmtree(root / "cifar-10-batches-py")     # only the cache is left
    assert cifar10_status(root) == "ready"
    again = load_cifar10(root, download=False)
    assert torch.equal(again.x_train, first.x_train) and torch.equal(again.y_test, first.y_test)
    assert again.classes == first.classes


def test_a_broken_cache_is_rebuilt(fake_cifar):
    root, _ = fake_cifar
    (root / "cifar10-uint8.pt").write_bytes(b"not a torch file")
    ds = load_cifar10(root, download=False)
    assert len(ds.y_train) == 30
    assert torch.load(root / "cifar10-uint8.pt", weights_only=True)["x_train"].shape == (30, 3, 32, 32)


def test_an_extracted_cifar10_needs_no_network_even_with_download_on(fake_cifar, monkeypatch):
    root, _ = fake_cifar
    monkeypatch.setattr(data_mod, "_download", _offline)
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    assert len(load_cifar10(root, download=True).y_test) == 5


def test_load_dataset_routes_cifar10(fake_cifar):
    root, _ = fake_cifar
    assert load_dataset("cifar10", root, download=False).name == "CIFAR-10"


def test_damaged_cifar10_gives_a_data_error(fake_cifar):
    root, _ = fake_cifar
    (root / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"garbage")
    with pytest.raises(DataError, match="missing or damaged.*Delete the broken files"):
        load_cifar10(root, download=False)


def test_missing_cifar10_without_download_gives_a_data_error(tmp_path):
    assert cifar10_status(tmp_path) == "absent"
    with pytest.raises(DataError) as e:
        load_cifar10(tmp_path, download=False)
    assert "cifar-10-python.tar.gz" in str(e.value) and "builtin" in str(e.value)


def _offline(*a, **kw):
    raise OSError("Network is unreachable")


@pytest.mark.parametrize("where", ["download", "urlopen"])
def test_offline_download_says_what_to_do(tmp_path, monkeypatch, where):
    if where == "download":
        monkeypatch.setattr(data_mod, "_download", _offline)
    else:
        monkeypatch.setattr(urllib.request, "urlopen", _offline)
    with pytest.raises(DataError) as e:
        load_cifar10(tmp_path, download=True)
    msg = str(e.value)
    assert "could not be downloaded" in msg and "Network is unreachable" in msg
    assert "cifar-10-python.tar.gz" in msg and str(tmp_path) in msg       # where to put the archive
    assert "builtin" in msg and "image folder" in msg                     # or what to train on instead
    assert not list(tmp_path.glob("*.part")) and not (tmp_path / "cifar-10-python.tar.gz").exists()


# --- image folders and zips ---------------------------------------------------------------------

def img_bytes(fmt: str = "PNG", size=(20, 20), color=(200, 30, 30), mode: str = "RGB") -> bytes:
    if mode == "RGBA":
        im = Image.new("RGBA", size, color + (128,))
    elif mode == "L":
        im = Image.new("L", size, color[0])
    else:
        im = Image.new("RGB", size, color)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


# every format and oddity the loader must take; two classes of different colours
MIXED = {
    "a.png": lambda c: img_bytes("PNG", (32, 32), c),
    "b.jpg": lambda c: img_bytes("JPEG", (40, 24), c),
    "c.gif": lambda c: img_bytes("GIF", (17, 45), c),
    "d.png": lambda c: img_bytes("PNG", (33, 31), c, "RGBA"),
    "e.PNG": lambda c: img_bytes("PNG", (64, 64), c, "L"),
    "f.bmp": lambda c: img_bytes("BMP", (5, 7), c),
}
RED, BLUE = (220, 20, 20), (20, 20, 220)


def make_tree(files: dict[str, bytes], root: Path) -> Path:
    for name, raw in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(raw)
    return root


def make_zip(files: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, raw in files.items():
            z.writestr(name, raw)
    return path


def class_files(prefix: str, color) -> dict[str, bytes]:
    return {f"{prefix}{name}": make(color) for name, make in MIXED.items()}


def build(files: dict[str, bytes], tmp_path: Path, as_zip: bool) -> Path:
    return make_zip(files, tmp_path / "set.zip") if as_zip else make_tree(files, tmp_path / "set")


@pytest.fixture(params=["folder", "zip"])
def as_zip(request) -> bool:
    return request.param == "zip"


def test_train_test_layout(tmp_path, as_zip):
    files = {**class_files("train/red/", RED), **class_files("train/blue/", BLUE),
             "test/red/x.png": img_bytes(color=RED), "test/blue/y.png": img_bytes(color=BLUE)}
    ds = load_image_folder(build(files, tmp_path, as_zip))
    assert ds.classes == ("blue", "red")
    assert ds.x_train.shape == (12, 3, 32, 32) and ds.x_train.dtype == torch.uint8
    assert ds.class_counts("train") == [6, 6] and ds.class_counts("test") == [1, 1]
    assert ds.notes == []
    # the colours survive every format: red images are red, blue ones blue (grayscale is gray)
    for x, y in zip(ds.x_train.float(), ds.y_train):
        r, b = x[0].mean(), x[2].mean()
        assert (r >= b) if y == 1 else (b >= r)


def test_single_level_layout_holds_out_a_fraction(tmp_path, as_zip):
    files = {}
    for k in range(10):
        files[f"red/{k}.png"] = img_bytes(color=RED)
        files[f"blue/{k}.png"] = img_bytes(color=BLUE)
    ds = load_image_folder(build(files, tmp_path, as_zip), holdout=0.2, seed=0)
    assert ds.classes == ("blue", "red")
    assert ds.class_counts("train") == [8, 8] and ds.class_counts("test") == [2, 2]
    again = load_image_folder(build(files, tmp_path / "again", as_zip) if not as_zip else tmp_path / "set.zip",
                              holdout=0.2, seed=0)
    assert torch.equal(again.y_test, ds.y_test)


def test_every_format_and_odd_size_is_read(tmp_path, as_zip):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE)}
    ds = load_image_folder(build(files, tmp_path, as_zip), holdout=0.2)
    assert len(ds.y_train) + len(ds.y_test) == 12
    assert ds.notes == []
    x = torch.cat([ds.x_train, ds.x_test])
    assert x.shape[1:] == (3, 32, 32)


def test_alpha_is_composited_on_white_and_grayscale_expanded(tmp_path):
    files = {"a/t.png": img_bytes("PNG", (8, 8), (0, 0, 0), "RGBA"),
             "b/g.png": img_bytes("PNG", (8, 8), (90, 0, 0), "L")}
    ds = load_image_folder(make_tree(files, tmp_path / "s"), holdout=0.1)
    x = torch.cat([ds.x_train, ds.x_test])
    y = torch.cat([ds.y_train, ds.y_test])
    half_black = x[y == 0][0]
    assert 120 <= int(half_black.float().mean()) <= 135      # 50 % black over white
    gray = x[y == 1][0]
    assert torch.equal(gray[0], gray[1]) and torch.equal(gray[1], gray[2]) and int(gray[0, 0, 0]) == 90


def test_bad_files_are_skipped_and_counted(tmp_path, as_zip):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE),
             "red/broken.png": b"\x89PNG\r\n\x1a\n not really",
             "blue/empty.jpg": b"",
             "blue/notes.txt": b"hello",
             "red/.hidden.png": b"ignored silently",
             "__MACOSX/red/._a.png": b"resource fork"}
    ds = load_image_folder(build(files, tmp_path, as_zip), holdout=0.2)
    assert ds.classes == ("blue", "red")
    assert len(ds.y_train) + len(ds.y_test) == 12
    assert len(ds.notes) == 1 and "Skipped 3 file(s)" in ds.notes[0]


def test_fewer_than_two_classes_is_a_data_error(tmp_path, as_zip):
    with pytest.raises(DataError, match="at least two class folders"):
        load_image_folder(build(class_files("red/", RED), tmp_path, as_zip))


def test_a_class_with_no_readable_image_is_a_data_error(tmp_path, as_zip):
    files = {**class_files("red/", RED), "blue/broken.png": b"nope", "blue/also.jpg": b"nope"}
    with pytest.raises(DataError, match="blue.*no readable image"):
        load_image_folder(build(files, tmp_path, as_zip))


def test_a_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_image_folder(tmp_path / "nowhere")


def test_a_file_that_is_not_a_zip_is_a_data_error(tmp_path):
    p = tmp_path / "x.zip"
    p.write_bytes(b"PK but not really")
    with pytest.raises(DataError, match="not a readable .zip"):
        load_image_folder(p)


@pytest.mark.parametrize("evil", ["../evil.png", "red/../../evil.png", "/etc/evil.png", "C:/evil.png",
                                  "..\\evil.png"])
def test_a_path_escaping_zip_entry_is_refused(tmp_path, evil):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE)}
    p = make_zip(files, tmp_path / "set.zip")
    with zipfile.ZipFile(p, "a") as z:
        info = zipfile.ZipInfo("placeholder")
        info.filename = evil              # bypass zipfile's own name normalisation
        z.writestr(info, img_bytes())
    with pytest.raises(DataError, match="unsafe path"):
        load_image_folder(p)
    assert not (tmp_path.parent / "evil.png").exists() and not (tmp_path / "evil.png").exists()


@pytest.mark.parametrize("layout", ["split", "single"])
def test_a_wrapper_folder_inside_a_zip_is_stripped(tmp_path, layout):
    if layout == "split":
        files = {**class_files("myset/train/red/", RED), **class_files("myset/train/blue/", BLUE),
                 "myset/test/red/x.png": img_bytes(color=RED), "myset/test/blue/y.png": img_bytes(color=BLUE)}
    else:
        files = {**class_files("myset/red/", RED), **class_files("myset/blue/", BLUE)}
    ds = load_image_folder(make_zip(files, tmp_path / "myset.zip"), holdout=0.2)
    assert ds.classes == ("blue", "red")
    assert len(ds.y_train) + len(ds.y_test) == (14 if layout == "split" else 12)


def test_a_folder_is_cached_by_load_dataset(tmp_path):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE)}
    src = make_tree(files, tmp_path / "set")
    first = load_dataset(str(src), tmp_path / "data", holdout=0.2)
    cached = list((tmp_path / "data" / "cache").glob("*.pt"))
    assert len(cached) == 1
    for f in (src / "red").iterdir():      # the cache must be read, not the (now gone) files
        f.unlink()
    again = load_dataset(str(src), tmp_path / "data", holdout=0.2)
    assert torch.equal(again.x_train, first.x_train) and again.classes == first.classes


def zeros(n: int) -> bytes:
    return bytes(n)


def test_a_zip_bomb_entry_is_refused_with_the_real_reason(tmp_path):
    """A zip whose one big entry unpacks to 40 MB of zeros: refused naming it, not "0 class folders"."""
    files = {**class_files("red/", RED), **class_files("blue/", BLUE), "red/bomb.png": zeros(40 * 2**20)}
    path = make_zip_deflated(files, tmp_path / "tmpXYZ.zip")
    with pytest.raises(DataError) as e:
        load_image_folder(path, name="holiday.zip")
    message = str(e.value)
    assert message.startswith("holiday.zip is a zip bomb: 'red/bomb.png' unpacks to 40.0 MB from ")
    assert "an image is at most 32.0 MB" in message and "class folders" not in message
    assert str(tmp_path) not in message and "tmpXYZ" not in message


def test_a_zip_of_many_small_bombs_is_refused_too(tmp_path):
    files = {**class_files("red/", RED), **{f"blue/{i}.bmp": zeros(2**20) for i in range(40)}}
    with pytest.raises(DataError, match=r"set\.zip is a zip bomb: it unpacks to 40\.\d MB from .* kB packed"):
        load_image_folder(make_zip_deflated(files, tmp_path / "set.zip"))


def test_a_zip_over_the_total_limit_names_its_largest_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_BYTES", 2000)
    files = {**class_files("red/", RED), **class_files("blue/", BLUE)}
    with pytest.raises(DataError, match=r"set\.zip unpacks to .* \(the largest file, '.*', .*\); the limit is 2 kB"):
        load_image_folder(make_zip(files, tmp_path / "set.zip"))


def test_a_large_file_that_is_no_bomb_is_skipped_and_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "MAX_IMAGE_BYTES", 1000)
    files = {**class_files("red/", RED), **class_files("blue/", BLUE), "blue/big.bmp": img_bytes("BMP", (40, 40))}
    ds = load_image_folder(make_zip(files, tmp_path / "set.zip"), holdout=0.2)
    assert "1 too large (over 1 kB" in ds.notes[0] and len(ds.y_train) + len(ds.y_test) == 12


def test_an_image_over_the_pixel_limit_is_skipped_and_counted(tmp_path, as_zip):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE), "blue/huge.png": flat_png(7_000, 6_000)}
    ds = load_image_folder(build(files, tmp_path, as_zip), holdout=0.2)
    assert len(ds.y_train) + len(ds.y_test) == 12
    assert ds.notes == [("Skipped 1 file(s) that are not readable images: 1 too large (over 32.0 MB or 40 million "
                         "pixels).")]


def test_an_entry_that_cannot_be_unpacked_is_skipped_and_counted(tmp_path):
    files = {**class_files("red/", RED), **class_files("blue/", BLUE), "blue/crc.png": img_bytes(color=BLUE),
             "blue/method.png": img_bytes(color=BLUE)}
    path = make_zip(files, tmp_path / "set.zip")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        crc, method = z.getinfo("blue/crc.png"), z.getinfo("blue/method.png")
    raw[crc.header_offset + 30 + len(crc.filename) + 40] ^= 0xFF             # a byte of its data: bad CRC
    for offset in (method.header_offset + 8, raw.rfind(b"blue/method.png") - 36):  # local and central header
        raw[offset:offset + 2] = (99).to_bytes(2, "little")                   # a compression zipfile cannot undo
    path.write_bytes(bytes(raw))
    ds = load_image_folder(path, holdout=0.2)
    assert len(ds.y_train) + len(ds.y_test) == 12 and "2 unreadable" in ds.notes[0]


def test_messages_name_an_upload_by_its_own_name(tmp_path):
    from cnnlib.sources import load_source, save_upload, source_name
    path = save_upload(make_zip(class_files("red/", RED), tmp_path / "x.zip").read_bytes(), "colours.zip",
                       tmp_path / "data")
    assert source_name(path) == "colours" and Path(path).name != "colours.zip"
    with pytest.raises(DataError) as e:
        load_source(path, tmp_path / "data")
    assert str(e.value).startswith("colours.zip needs at least two class folders") and str(tmp_path) not in str(e.value)


def test_too_many_or_too_long_class_names_are_refused(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="a class name is 1 to 200 characters"):
        load_image_folder(make_zip({**class_files("red/", RED), f"{'b' * 201}/x.png": img_bytes()}, tmp_path / "a.zip"))
    monkeypatch.setattr(data_mod, "MAX_CLASSES", 2)
    files = {f"{c}/x.png": img_bytes() for c in ("a", "b", "c")}
    with pytest.raises(DataError, match="has 3 class folders; the limit is 2"):
        load_image_folder(make_zip(files, tmp_path / "b.zip"))


def make_zip_deflated(files: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, raw in files.items():
            z.writestr(name, raw)
    return path


# Parts of the names inside a zip: class-like folders, the split folders, and the awkward ones
SEGMENTS = st.one_of(
    st.sampled_from(["red", "blue", "green", "train", "test"]),
    st.sampled_from(["__MACOSX", ".hidden", ".", "", "C:", "a:b", "x" * 250, "ünï", "cat dog", " ", "red "]),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00/\\"), min_size=1, max_size=5))
NAMES = st.one_of(st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join), st.lists(SEGMENTS, min_size=2, max_size=3)
                  .map("/".join), st.sampled_from(["/etc/x", "\\evil", "..\\x", "red/../../x", "../x", "red/"]))
SUFFIXES = st.sampled_from([".png", ".png", ".PNG", ".jpg", ".gif", ".bmp", ".tif", ".txt", ""])
CONTENT = {"red": lambda: img_bytes(color=RED), "blue": lambda: img_bytes("BMP", color=BLUE), "junk": lambda: b"junk",
           "empty": lambda: b"", "bomb": lambda: zeros(200_000), "cut": lambda: img_bytes(color=RED)[:50]}
KINDS = st.sampled_from(["red"] * 5 + ["blue"] * 5 + ["junk", "empty", "cut", "bomb"])
# a layout: mostly names drawn from the safe ones, now and then an unsafe one (which refuses the whole zip)
ENTRIES = st.lists(st.tuples(st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join), SUFFIXES, KINDS), max_size=14)
UNSAFE = st.lists(st.tuples(NAMES, SUFFIXES, KINDS), max_size=2)


# Few examples, always the same ones, by default; more, and random ones, with CNNLAB_EXAMPLES=3000
EXAMPLES = int(os.environ.get("CNNLAB_EXAMPLES", "0"))


@settings(max_examples=EXAMPLES or 120, derandomize=not EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(entries=ENTRIES, odd=st.sampled_from([[]] * 3) | UNSAFE, base=st.sampled_from([True, True, False]))
def test_any_zip_layout_gives_a_data_set_or_a_message(tmp_path, entries, odd, base):
    """Names, nesting, empty folders, non-images, duplicates, unsafe paths and bombs: a DataError that
    names the upload, or a data set; never another exception."""
    entries = entries + odd
    if base:   # a valid set to mutate
        entries = [("red/a", ".png", "red"), ("red/b", ".png", "red"), ("blue/a", ".bmp", "blue"),
                   ("blue/b", ".bmp", "blue")] + entries
    path = tmp_path / "tmpUPLOAD.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # zipfile warns of duplicate names
        for name, suffix, content in entries:
            info = zipfile.ZipInfo("placeholder")
            info.filename, info.compress_type = name + suffix, zipfile.ZIP_DEFLATED   # no normalisation
            z.writestr(info, CONTENT[content]())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data_mod, "MAX_IMAGE_BYTES", 100_000)     # so that "bomb" is one, in a small file
        try:
            ds = load_image_folder(path, holdout=0.2, name="upload.zip")
        except DataError as e:
            event(str(e).split(" ")[1] if str(e).startswith("upload.zip") else "empty class")
            assert "upload.zip" in str(e) and "tmpUPLOAD" not in str(e) and "object at" not in str(e)
            return
    event("a data set")
    assert 2 <= len(ds.classes) == len(set(ds.classes)) and ds.x_train.shape[1:] == (3, 32, 32)
    assert len(ds.x_train) == len(ds.y_train) and len(ds.x_test) == len(ds.y_test)
    assert set(ds.class_counts("train")) != {0} or set(ds.class_counts("test")) != {0}


# --- Shapes-10 ------------------------------------------------------------------------------------

def test_shapes10_is_deterministic_from_its_seed():
    x1, y1 = make_shapes10(100, seed=3)
    x2, y2 = make_shapes10(100, seed=3)
    assert x1.dtype == torch.uint8 and x1.shape == (100, 3, 32, 32) and y1.dtype == torch.int64
    assert x1.numpy().tobytes() == x2.numpy().tobytes() and torch.equal(y1, y2)
    x3, _ = make_shapes10(100, seed=4)
    assert not torch.equal(x1, x3)
    assert torch.bincount(y1, minlength=10).tolist() == [10] * 10      # balanced classes
    assert x1.float().std() > 30                                       # not blank images


def test_load_builtin_splits_with_different_seeds():
    ds = load_builtin(n_train=50, n_test=20)
    assert ds.x_train.shape == (50, 3, 32, 32) and ds.x_test.shape == (20, 3, 32, 32)
    assert len(ds.classes) == 10 and "Shapes-10" in ds.name
    assert not torch.equal(ds.x_train[:20], ds.x_test)


@pytest.mark.slow
def test_shapes10_is_learnable_by_the_fast_model():
    from cnnlib.config import TrainConfig
    from cnnlib.train import EpochEnd, fit, make_model
    ds = load_builtin(n_train=2000, n_test=400)    # about 70 % after two epochs; ~10 s on one core
    cfg = TrainConfig(model="fast", epochs=2, batch_size=64, optimizer="sgd", lr=0.1, momentum=0.9,
                      nesterov=True, weight_decay=5e-4, schedule="onecycle", label_smoothing=0.1,
                      normalize=True, conv_dropout=0.0, fc_dropout=0.0, report_every=1000)
    ends = [e for e in fit(make_model(cfg, ds), ds, cfg) if isinstance(e, EpochEnd)]
    assert ends[-1].test_acc > 0.3, ends     # chance is 0.1


# --- batching and augmentation --------------------------------------------------------------------

def test_batch_indices_cover_every_index_once():
    g = torch.Generator().manual_seed(0)
    batches = list(batch_indices(103, 10, shuffle=True, generator=g))
    assert [len(b) for b in batches] == [10] * 10 + [3]
    assert sorted(torch.cat(batches).tolist()) == list(range(103))
    assert torch.cat(batches).tolist() != list(range(103))
    assert torch.cat(list(batch_indices(7, 3, shuffle=False))).tolist() == list(range(7))
    dropped = list(batch_indices(103, 10, generator=g, drop_last=True))
    assert len(dropped) == 10 and len(set(torch.cat(dropped).tolist())) == 100
    assert list(batch_indices(0, 4)) == []
    on = list(batch_indices(103, 10, generator=torch.Generator().manual_seed(0), device="meta"))
    assert [b.device.type for b in on] == ["meta"] * 11 and [len(b) for b in on] == [10] * 10 + [3]


def asymmetric(n: int = 64) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)


def test_flip_mirrors_about_half_the_images():
    x = asymmetric()
    out = flip_crop(x, flip=True, pad=0, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == torch.uint8
    flipped = [bool(torch.equal(o, i.flip(2))) for o, i in zip(out, x)]
    kept = [bool(torch.equal(o, i)) for o, i in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48
    assert torch.equal(out[flipped.index(True)], x[flipped.index(True)].flip(-1))


def test_without_a_generator_augmentation_draws_from_the_devices_own_random_numbers():
    """The GPU path: no generator, so flips and crops draw on x's device, seeded by torch.manual_seed."""
    x = asymmetric(16)
    torch.manual_seed(3)
    a = augment(x, "flip+crop", None, crop=2)
    torch.manual_seed(3)
    b = augment(x, "flip+crop", None, crop=2)
    assert torch.equal(a, b) and not torch.equal(a, augment(x, "flip+crop", None, crop=2))
    xp = torch.nn.functional.pad(x, (2,) * 4)
    for o, p in zip(a, xp):                            # each still a window of the padded image or its mirror
        assert any(torch.equal(o, v[:, dy:dy + 8, dx:dx + 8]) for v in (p, p.flip(2))
                   for dy in range(5) for dx in range(5))


def test_crop_is_a_shifted_window_of_the_zero_padded_image():
    x = asymmetric(16)
    pad = 2
    out = flip_crop(x, flip=False, pad=pad, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == torch.uint8
    xp = torch.nn.functional.pad(x, (pad,) * 4)
    shifts = set()
    for o, p in zip(out, xp):
        found = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)
                 if torch.equal(o, p[:, dy:dy + 8, dx:dx + 8])]
        assert found, "a crop that is no window of the padded image"
        shifts.add(found[0])
    assert len(shifts) > 3


def test_augmentation_is_deterministic_with_a_generator():
    x = asymmetric()
    a = augment(x, "flip+crop", torch.Generator().manual_seed(5))
    b = augment(x, "flip+crop", torch.Generator().manual_seed(5))
    c = augment(x, "flip+crop", torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert augment(x, "none") is x
    assert augment(x, "crop", torch.Generator().manual_seed(0)).shape == x.shape


def test_crops_move_the_image_at_most_the_crop_setting_each_way():
    x = torch.zeros(300, 3, 9, 9, dtype=torch.uint8)
    x[:, :, 4, 4] = 255                                           # one bright pixel in the middle
    for crop in (1, 2, 4):
        out = augment(x, "crop", torch.Generator().manual_seed(crop), crop=crop)
        at = (out[:, 0] == 255).flatten(1).float().argmax(1)
        moves = {(int(i) // 9 - 4, int(i) % 9 - 4) for i in at}
        assert all(max(abs(dy), abs(dx)) <= crop for dy, dx in moves)
        assert {dy for dy, _ in moves} == set(range(-crop, crop + 1))   # every shift turns up


def test_test_views_are_the_image_its_mirror_and_one_pixel_shifts_of_both():
    x = asymmetric(4).float()
    assert [v.data_ptr() for v in tta_views(x, "none")] == [x.data_ptr()]
    plain, mirror = tta_views(x, "flip")
    assert torch.equal(plain, x) and torch.equal(mirror, x.flip(3))
    views = tta_views(x, "flip+shift")
    assert len(views) == 6 and all(v.shape == x.shape for v in views)
    down_right, down_right_mirror, up_left, up_left_mirror = views[2:]
    assert torch.equal(down_right[:, :, 1:, 1:], x[:, :, :-1, :-1])     # moved one pixel down and right
    assert torch.equal(down_right[:, :, 0, 1:], x[:, :, 1, :-1])        # the edge reflected into the gap
    assert torch.equal(up_left[:, :, :-1, :-1], x[:, :, 1:, 1:])
    assert torch.equal(down_right_mirror, down_right.flip(3)) and torch.equal(up_left_mirror, up_left.flip(3))


def test_to_float_scales_like_to_tensor_and_normalises():
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    assert torch.allclose(to_float(x).flatten(), torch.tensor([0.0, 0.2, 1.0]))
    m, s = torch.tensor([0.0, 0.2, 0.5]), torch.tensor([1.0, 0.5, 0.25])
    assert torch.allclose(to_float(x, m, s).flatten(), torch.tensor([0.0, 0.0, 2.0]))


def test_subset_mean_std_and_class_counts(tiny):
    small = tiny.subset(10, 5, seed=0)
    assert (len(small.y_train), len(small.y_test)) == (10, 5)
    assert torch.equal(small.y_train, tiny.subset(10, 5, seed=0).y_train)
    assert tiny.subset() .x_train is tiny.x_train
    assert tiny.subset(0, 10_000) is tiny  # nothing cut: the same data set, its mean/std kept
    m, s = tiny.mean_std()
    assert m.shape == (3,) and s.shape == (3,) and (0 < m).all() and (m < 1).all()
    assert sum(tiny.class_counts()) == 64 and len(tiny.class_counts("test")) == 10
    assert isinstance(small, Dataset) and small.image_size == 32


def test_builtin_set_is_cached_on_disk_and_reloaded_identically(tmp_path):
    from cnnlib.data import load_builtin
    a = load_builtin(seed=3, n_train=40, n_test=20, cache_dir=tmp_path)
    files = list(tmp_path.glob("shapes10-*.pt"))
    assert len(files) == 1
    b = load_builtin(seed=3, n_train=40, n_test=20, cache_dir=tmp_path)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    files[0].write_bytes(b"broken")                       # a damaged cache is rebuilt, not fatal
    c = load_builtin(seed=3, n_train=40, n_test=20, cache_dir=tmp_path)
    assert torch.equal(a.x_train, c.x_train)


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path):
    from cnnlib.data import cached
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    ds = cached(blocker / "sub" / "x.pt", lambda: data_mod.load_builtin(n_train=20, n_test=10))
    assert len(ds.y_train) == 20 and not (blocker / "sub").exists()


def test_mean_std_matches_the_plain_formula_and_is_worked_out_once():
    from cnnlib.data import load_builtin
    ds = load_builtin(n_train=300, n_test=10)
    x = ds.x_train.float() / 255
    mean, std = ds.mean_std()
    assert torch.allclose(mean, x.mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(std, x.std(dim=(0, 2, 3)), atol=1e-3)
    assert ds.mean_std()[0] is mean


def test_a_failed_cache_write_leaves_no_half_file(tmp_path, monkeypatch):
    from cnnlib.data import cached, load_builtin

    def full(*a, **kw):
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", full)
    ds = cached(tmp_path / "shapes.pt", lambda: load_builtin(n_train=20, n_test=10))
    assert len(ds.y_train) == 20                      # the data set itself is still there
    assert list(tmp_path.iterdir()) == []             # neither a cache nor a temporary file


def test_given_flips_mirror_exactly_those_images():
    x = torch.arange(4 * 3 * 2 * 2, dtype=torch.uint8).view(4, 3, 2, 2)
    out = augment(x, "flip", flips=torch.tensor([True, False, False, True]))
    assert torch.equal(out[[0, 3]], x[[0, 3]].flip(3)) and torch.equal(out[[1, 2]], x[[1, 2]])


def test_alternating_flips_show_every_image_both_ways_in_any_two_epochs():
    from cnnlib.data import alternating_flips
    flips = alternating_flips(1000, torch.Generator().manual_seed(0))
    idx = torch.randperm(1000)
    e0, e1, e2, e3 = (flips(e, idx) for e in range(4))
    assert torch.equal(e1, ~e0) and torch.equal(e2, e0) and torch.equal(e3, e1)
    assert 400 < int(e0.sum()) < 600                                       # half, drawn at random
    assert torch.equal(flips(0, idx[:10]), e0[:10])                       # looked up per image


def test_shapes10_drawn_in_chunks_is_the_same_set(monkeypatch):
    """Shapes-10 works its pixels out a chunk of images at a time (a server making all 24,000 at once
    held a gigabyte afterwards); the random draws are taken in one order, so the set is the same."""
    import cnnlib.data as data
    whole = data.make_shapes10(50, seed=7)
    monkeypatch.setattr(data, "SHAPES10_CHUNK", 16)     # 16, 16, 16 and 2 images
    parts = data.make_shapes10(50, seed=7)
    assert torch.equal(whole[0], parts[0]) and torch.equal(whole[1], parts[1])
