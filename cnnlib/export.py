"""The code behind the settings: a TrainConfig written out as one plain PyTorch program, in the shape of
the tutorial (torchvision data and transforms, the network as an nn.Module layer by layer, loss,
optimiser, schedule, an epoch loop printing the test accuracy), that needs only torch and torchvision.

Pure text: `program(cfg, facts, lang)` returns the source, its comments in `lang` (the catalogue's
export.* keys). Test-time views, Lookahead, the whitening layer and alternating flips are written out
as cnnlib does them; what the plain program does not reproduce (mixed precision, tests within an epoch,
the built-in Shapes-10) is named at its top (`leaves_out`), never dropped in silence. The program
takes --data (a folder of class subfolders), --epochs and --limit, and defines `build(num_classes)`,
so that a test can train it on a tiny folder and count its parameters.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from cnnlib.config import TrainConfig
from cnnlib.data import CIFAR10_CLASSES, Dataset
from cnnlib.models import ARCHITECTURES, ConvNetSpec, footprint
from cnnlib.words import WORDS, Message, say


@dataclass(frozen=True)
class DataFacts:
    name: str                                  # the data set's name, as the app shows it
    classes: tuple[str, ...]                   # class names, in label order
    image_size: int = 32                       # images are image_size x image_size RGB
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)  # per-channel mean of the training images, 0..1 units
    std: tuple[float, ...] = (0.25, 0.25, 0.25)  # per-channel std of the training images
    source: str = "cifar10"                    # "cifar10" (torchvision downloads it) or "folder" (--data)


# CIFAR-10 as torchvision gives it: its training images' per-channel mean and std, to four places
CIFAR10 = DataFacts("CIFAR-10", CIFAR10_CLASSES, 32, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))


def facts_of(ds: Dataset, source: str, normalize: bool = True) -> DataFacts:
    """What the program needs to know of a loaded data set. CIFAR-10 and the built-in Shapes-10 (CNN Lab
    draws it; no program outside has it) become torchvision's CIFAR-10; any other source an image folder.
    The mean and std are worked out (once per data set) only when the settings normalise."""
    if source in ("cifar10", "builtin"):
        return CIFAR10
    mean, std = ds.mean_std() if normalize else ((0.5,) * 3, (0.25,) * 3)
    return DataFacts(ds.name, tuple(ds.classes), ds.image_size, tuple(round(float(v), 4) for v in mean),
                     tuple(round(float(v), 4) for v in std), "folder")


def leaves_out(cfg: TrainConfig, source: str = "") -> list[Message]:
    """The settings that the plain program does not reproduce, each as a phrase for its top comment."""
    out = []
    if source == "builtin":
        out.append(Message("export.out.builtin"))
    if cfg.precision != "fp32":
        out.append(Message("export.out.precision", precision=cfg.precision))
    if cfg.eval_every:
        out.append(Message("export.out.eval_every", n=str(cfg.eval_every)))
    if cfg.test_sample:
        out.append(Message("export.out.test_sample", n=str(cfg.test_sample)))
    if cfg.shrink_to and cfg.shrink_for and cfg.uses("shrink_to"):
        out.append(Message("export.out.shrink", size=str(cfg.shrink_to), share=cfg.shrink_for))
    return out


def file_name(preset: str) -> str:
    """The download's name: cnnlab_<preset>.py, a valid module name."""
    stem = "".join(ch if ch.isalnum() else "_" for ch in preset or "settings")
    return f"cnnlab_{stem}.py"


class _Writer:
    """Lines of source, with comments said in one language and wrapped to 100 columns."""

    def __init__(self, lang: str):
        self.lang, self.lines = lang, []

    def comment(self, key: str, indent: int = 0, **fields) -> None:
        pad = " " * indent
        self.lines += textwrap.wrap(say(key, self.lang, **fields), 100 - indent, initial_indent=pad + "# ",
                                    subsequent_indent=pad + "# ", break_on_hyphens=False)

    def code(self, text: str, indent: int = 0) -> None:
        """Lines of code; a triple-quoted block (starting with a newline) is dedented first."""
        text = textwrap.dedent(text).strip("\n") if text.startswith("\n") else text
        self.lines += [(" " * indent + line).rstrip() for line in text.split("\n")]

    def blank(self, n: int = 1) -> None:
        self.lines += [""] * n


def _network(w: _Writer, cfg: TrainConfig, facts: DataFacts) -> None:
    """class Net, as cnnlib.models builds the architecture cfg.model, and build(num_classes)."""
    try:
        params = footprint(cfg.model, len(facts.classes), facts.image_size).parameters
        w.comment("export.c.network", model=cfg.model, params=params, classes=len(facts.classes))
    except ValueError:                        # the network does not fit the image size: the page says why
        w.comment("export.c.network_unsized", model=cfg.model)
    spec = ARCHITECTURES[cfg.model][1]
    if spec is None:
        _tutorial(w, cfg, facts)
    else:
        _convnet(w, cfg, facts, spec)
    w.blank(2)
    w.code("""
        def build(num_classes: int = NUM_CLASSES) -> nn.Module:
            return Net(num_classes)
    """)


def _tutorial(w: _Writer, cfg: TrainConfig, facts: DataFacts) -> None:
    half = facts.image_size // 2
    w.code(f"""
        class Net(nn.Module):
            def __init__(self, num_classes: int = NUM_CLASSES):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1)
                self.act1 = nn.ReLU()
                self.drop1 = nn.Dropout({cfg.conv_dropout!r})
                self.conv2 = nn.Conv2d(32, 32, kernel_size=3, stride=1, padding=1)
                self.act2 = nn.ReLU()
                self.pool2 = nn.MaxPool2d(kernel_size=2)
                self.flat = nn.Flatten()
                self.fc3 = nn.Linear(32 * {half} * {half}, 512)
                self.act3 = nn.ReLU()
                self.drop3 = nn.Dropout({cfg.fc_dropout!r})
                self.fc4 = nn.Linear(512, num_classes)

            def forward(self, x):
                x = self.act1(self.conv1(x))     # (N, 32, {facts.image_size}, {facts.image_size})
                x = self.drop1(x)
                x = self.act2(self.conv2(x))
                x = self.pool2(x)                # (N, 32, {half}, {half})
                x = self.flat(x)                 # (N, {32 * half * half})
                x = self.act3(self.fc3(x))       # (N, 512)
                x = self.drop3(x)
                return self.fc4(x)               # (N, num_classes)
    """)


def _convnet(w: _Writer, cfg: TrainConfig, facts: DataFacts, spec: ConvNetSpec) -> None:
    bn = spec.batchnorm
    act = "nn.GELU()" if spec.activation == "gelu" else "nn.ReLU()"
    pool = "nn.MaxPool2d(2)" if spec.pool == "max" else "nn.AvgPool2d(2)"
    bn_args = "".join([f", eps={spec.bn_eps!r}" if spec.bn_eps != 1e-5 else "",
                       f", momentum={spec.bn_momentum!r}" if spec.bn_momentum != 0.1 else ""])
    init, fwd = [], []
    size, cin = facts.image_size, 3
    if spec.whiten:
        cout, stride = 2 * 3 * 2 * 2, spec.whiten_stride
        size = (size - 2) // stride + 1
        init += [f"self.whiten = nn.Conv2d(3, {cout}, kernel_size=2{f', stride={stride}' if stride != 1 else ''})",
                 f"self.act0 = {act}"]
        fwd += ["x = self.act0(self.whiten(x))" + f"{'':5}# (N, {cout}, {size}, {size})"]
        cin = cout
    elif spec.stem:
        init += [f"self.conv0 = nn.Conv2d(3, {spec.stem}, kernel_size=3, padding=1, bias={not bn})"]
        init += [f"self.bn0 = nn.BatchNorm2d({spec.stem}{bn_args})"] if bn else []
        init += [f"self.act0 = {act}"]
        fwd += [f"x = self.act0({'self.bn0(' if bn else ''}self.conv0(x){')' if bn else ''})"]
        cin = spec.stem
    convs = []
    for b, cout in enumerate(spec.widths, start=1):
        size //= 2
        init.append(f"# {say('export.c.block', w.lang, i=b, cin=cin, cout=cout, size=size)}")
        for i in range(spec.convs_per_block):
            name = f"{b}{'abcdefgh'[i]}"
            convs.append(f"self.conv{name}")
            init.append(f"self.conv{name} = nn.Conv2d({cin if i == 0 else cout}, {cout}, kernel_size=3, padding=1, "
                        f"bias={not bn})")
            residual = spec.residual and spec.convs_per_block > 1     # the block's later convs feed y
            inner = f"self.conv{name}({'y' if residual and i > 1 else 'x'})"
            if i == 0:
                init.append(f"self.pool{b} = {pool}")
                inner = f"self.pool{b}({inner})"
            if bn:
                init.append(f"self.bn{name} = nn.BatchNorm2d({cout}{bn_args})")
                inner = f"self.bn{name}({inner})"
            init.append(f"self.act{name} = {act}")
            target = "y" if residual and i > 0 else "x"
            fwd.append(f"{target} = self.act{name}({inner})")
        if residual:
            fwd.append(f"x = x + y{'':10}# {say('export.c.residual', w.lang)}")
        if cfg.conv_dropout > 0:
            init.append(f"self.drop{b} = nn.Dropout({cfg.conv_dropout!r})")
            fwd.append(f"x = self.drop{b}(x)")
        fwd[-1] += f"{'':5}# (N, {cout}, {size}, {size})" if "#" not in fwd[-1] else ""
        cin = cout
    init += ["self.pool = nn.AdaptiveMaxPool2d(1)", "self.flat = nn.Flatten()"]
    fwd += [f"x = self.flat(self.pool(x)){'':5}# (N, {cin})"]
    if spec.hidden:
        init += [f"self.hidden = nn.Linear({cin}, {spec.hidden})", f"self.act_hidden = {act}"]
        fwd += ["x = self.act_hidden(self.hidden(x))"]
        cin = spec.hidden
    if cfg.fc_dropout > 0:
        init += [f"self.drop = nn.Dropout({cfg.fc_dropout!r})"]
        fwd += ["x = self.drop(x)"]
    init += [f"self.fc = nn.Linear({cin}, num_classes{'' if spec.head_bias else ', bias=False'})"]
    if spec.identity_init:
        init += [f"# {say('export.c.identity', w.lang)}",
                 "with torch.no_grad():",
                 f"    for conv in ({', '.join(convs)}):",
                 "        nn.init.dirac_(conv.weight[:min(conv.in_channels, conv.out_channels)])"]
    if spec.whiten:
        init += [f"self.whiten.weight.requires_grad_(False){'':5}# {say('export.c.whiten_frozen', w.lang)}"]
    if bn and not spec.bn_scale:
        init += [f"# {say('export.c.frozen_scale', w.lang)}",
                 "for m in self.modules():",
                 "    if isinstance(m, nn.BatchNorm2d):",
                 "        m.weight.requires_grad_(False)"]
    if spec.head_scale != 1:
        fwd += [f"return self.fc(x) * {spec.head_scale!r}{'':5}# {say('export.c.head_scale', w.lang)}"]
    else:
        fwd += ["return self.fc(x)"]
    w.code("""
        class Net(nn.Module):
            def __init__(self, num_classes: int = NUM_CLASSES):
                super().__init__()
    """)
    w.lines += ["        " + line for line in init]
    w.blank()
    w.lines += ["    def forward(self, x):"] + ["        " + line for line in fwd]
    if spec.whiten:
        w.blank()
        w.comment("export.c.whiten", indent=4)
        w.code("""
            @torch.no_grad()
            def fit_whitening(self, images: torch.Tensor, eps: float = 5e-4) -> None:
                c, k, step = self.whiten.in_channels, self.whiten.kernel_size[0], self.whiten.stride[0]
                patches = images.float().unfold(2, k, step).unfold(3, k, step)       # (N, C, H', W', k, k)
                patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, c * k * k)  # one row per patch
                patches = patches - patches.mean(0)
                eigval, eigvec = torch.linalg.eigh(patches.T @ patches / len(patches))
                filters = (eigvec.T / (eigval.clamp(min=0) + eps).sqrt()[:, None]).reshape(-1, c, k, k)
                self.whiten.weight.copy_(torch.cat([filters, -filters]))
                self.whiten.bias.zero_()
        """, indent=4)


def _schedule(w: _Writer, cfg: TrainConfig) -> None:
    if cfg.schedule == "constant":
        return
    w.comment("export.c.schedule", schedule=cfg.schedule)
    w.code("def lr_factor(step: int, total: int) -> float:\n    t = step / max(1, total)")
    if cfg.schedule == "step":
        w.code("    return 0.1 ** ((t >= 0.5) + (t >= 0.75))")
    else:
        decay = "1 - t" if cfg.schedule == "onecycle" else "0.5 * (1 + math.cos(math.pi * t))"
        w.code(f"""
            if t < WARMUP:
                return 0.1 + 0.9 * t / WARMUP
            t = min(1.0, (t - WARMUP) / max(1e-9, 1 - WARMUP))
            return LR_END + (1 - LR_END) * ({decay})
        """, indent=4)
    w.blank(2)


def _alternating_flips(w: _Writer, cfg: TrainConfig) -> None:
    """AlternatingFlips: half the images mirrored in even epochs, the other half in odd (cnnlib.data)."""
    if not (cfg.alternate_flips and cfg.uses("alternate_flips")):
        return
    w.comment("export.c.alternating")
    w.code("""
        class AlternatingFlips(Dataset):
            def __init__(self, data: Dataset):
                self.data, self.epoch = data, 0
                self.first = (torch.rand(len(data), generator=torch.Generator().manual_seed(SEED)) < 0.5).tolist()

            def __len__(self) -> int:
                return len(self.data)

            def __getitem__(self, i: int):
                x, y = self.data[i]
                return (x.flip(2) if self.first[i] != bool(self.epoch % 2) else x), y
    """)
    w.blank(2)


def _views(w: _Writer, cfg: TrainConfig) -> None:
    """views(x): the test-time views whose logits the test averages (cnnlib.data.tta_views)."""
    if cfg.tta == "none":
        return
    w.comment("export.c.views", tta=cfg.tta)
    w.code("""
        def views(x: torch.Tensor) -> list[torch.Tensor]:
            seen = [x, x.flip(3)]
    """)
    if cfg.tta == "flip+shift":
        w.code("""
            h, w = x.shape[2:]
            padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
            for d in (0, 2):
                moved = padded[:, :, d:d + h, d:d + w]
                seen += [moved, moved.flip(3)]
        """, indent=4)
    w.code("    return seen")
    w.blank(2)


def program(cfg: TrainConfig, facts: DataFacts = CIFAR10, lang: str = "en", preset: str = "",
            source: str = "") -> str:
    """The plain PyTorch program that `cfg` amounts to on data like `facts`, its comments in `lang`."""
    w = _Writer(lang)
    name = file_name(preset)
    w.comment("export.c.title", preset=preset or "-", data=facts.name)
    w.comment("export.c.needs", file=name)
    w.comment("export.c.data_cifar" if facts.source == "cifar10" else "export.c.data_folder")
    alternate = cfg.alternate_flips and cfg.uses("alternate_flips")
    missing = leaves_out(cfg, source or cfg.data)
    if missing:
        w.comment("export.c.leaves_out", items="; ".join(m.say(lang) for m in missing))
    w.code("import argparse" + ("\nimport math" if cfg.schedule == "cosine" else ""))
    w.code("""
        from pathlib import Path

        import torch
        import torchvision
        import torchvision.transforms as T
        from torch import nn
    """)
    w.code("from torch.utils.data import DataLoader, " + ("Dataset, " if alternate else "") + "Subset")
    w.blank()
    w.comment("export.c.settings")
    crop = cfg.crop if "crop" in cfg.augment else 0
    w.code(f"""
        EPOCHS = {cfg.epochs!r}
        BATCH_SIZE = {cfg.batch_size!r}
        LR = {cfg.lr!r}
        MOMENTUM = {cfg.momentum!r}
        NESTEROV = {cfg.nesterov!r}
        WEIGHT_DECAY = {cfg.weight_decay!r}
        LABEL_SMOOTHING = {cfg.label_smoothing!r}
        CROP = {crop!r}
        SEED = {cfg.seed!r}
        IMAGE_SIZE = {facts.image_size!r}
        NUM_CLASSES = {len(facts.classes)!r}
        MAX_TRAIN = {cfg.max_train!r}
        MAX_TEST = {cfg.max_test!r}
        HOLDOUT = {cfg.holdout!r}
        CIFAR = {facts.source == "cifar10"!r}
    """)
    if cfg.lookahead:
        w.code(f"LOOKAHEAD = {cfg.lookahead!r}")
    if cfg.schedule in ("onecycle", "cosine"):
        w.code(f"WARMUP = {cfg.warmup!r}\nLR_END = {cfg.lr_end!r}")
    if cfg.normalize:
        w.code(f"MEAN = {facts.mean!r}\nSTD = {facts.std!r}")
    w.comment("export.c.classes", n=len(facts.classes), classes=", ".join(facts.classes[:20])
              + (", …" if len(facts.classes) > 20 else ""))
    w.blank(2)

    w.comment("export.c.transforms")
    w.code("def transforms(train: bool, resize: bool) -> T.Compose:\n    steps = []")
    w.code("    if resize:")
    w.comment("export.c.resize", indent=8, size=facts.image_size)
    w.code("        steps += [T.Resize(IMAGE_SIZE), T.CenterCrop(IMAGE_SIZE)]")
    if cfg.augment != "none":
        w.code("    if train:")
        w.comment("export.c.augment", indent=8)
        if "flip" in cfg.augment:
            w.code("        steps.append(T.RandomHorizontalFlip())" if not alternate else
                   f"        pass{'':5}# {say('export.c.flips_later', w.lang)}" if not crop else
                   f"        # {say('export.c.flips_later', w.lang)}")
        if crop:
            w.code("        steps.append(T.RandomCrop(IMAGE_SIZE, padding=CROP))")
    w.code("    steps.append(T.ToTensor())")
    if cfg.normalize:
        w.comment("export.c.normalize", indent=4)
        w.code("    steps.append(T.Normalize(MEAN, STD))")
    w.code("    return T.Compose(steps)")
    w.blank(2)

    w.comment("export.c.data")
    w.code("""
        def datasets(folder: str | None, limit: int, augment: bool = True):
            if folder is None:
                train = torchvision.datasets.CIFAR10("data", train=True, download=True,
                                                     transform=transforms(augment, False))
                test = torchvision.datasets.CIFAR10("data", train=False, download=True,
                                                    transform=transforms(False, False))
            elif (Path(folder) / "train").is_dir() and (Path(folder) / "test").is_dir():
                train = torchvision.datasets.ImageFolder(Path(folder) / "train", transforms(augment, True))
                test = torchvision.datasets.ImageFolder(Path(folder) / "test", transforms(False, True))
            else:
    """)
    w.comment("export.c.holdout", indent=8)
    w.code("""
        train = torchvision.datasets.ImageFolder(folder, transforms(augment, True))
        test = torchvision.datasets.ImageFolder(folder, transforms(False, True))
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(SEED)).tolist()
        held = max(1, round(len(order) * HOLDOUT))
        train, test = Subset(train, order[held:]), Subset(test, order[:held])
    """, indent=8)
    w.comment("export.c.limit", indent=4)
    w.code("""
            max_train, max_test = (limit, limit) if limit else (MAX_TRAIN, MAX_TEST)
            pick = torch.Generator().manual_seed(SEED)
            if max_train and max_train < len(train):
                train = Subset(train, torch.randperm(len(train), generator=pick)[:max_train].tolist())
            if max_test and max_test < len(test):
                test = Subset(test, torch.randperm(len(test), generator=pick)[:max_test].tolist())
            return train, test
    """, indent=4)
    w.blank(2)
    _network(w, cfg, facts)
    w.blank(2)
    _schedule(w, cfg)

    _alternating_flips(w, cfg)
    _views(w, cfg)
    w.comment("export.c.test")
    w.code("""
        @torch.no_grad()
        def test(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
            model.eval()
            correct = total = 0
            for inputs, labels in loader:
    """)
    w.code("        y_pred = model(inputs.to(device))" if cfg.tta == "none" else
           "        seen = views(inputs.to(device))\n        y_pred = sum(model(x) for x in seen) / len(seen)")
    w.code("""
        correct += (y_pred.argmax(1) == labels.to(device)).sum().item()
        total += len(labels)
    """, indent=8)
    w.code("    return correct / max(1, total)")
    w.blank(2)
    if cfg.lookahead:
        w.comment("export.c.lookahead")
        w.code("""
            class Lookahead:
                def __init__(self, model: nn.Module, total: int):
                    self.total = max(1, total)
                    self.live = [t for t in model.state_dict().values() if t.is_floating_point()]
                    self.average = [t.clone() for t in self.live]

                @torch.no_grad()
                def pull(self, done: int) -> None:
                    rho = 0.95 ** LOOKAHEAD * (done / self.total) ** 3
                    for average, live in zip(self.average, self.live):
                        average.lerp_(live, 1 - rho)
                        live.copy_(average)
        """)
    w.blank(2)
    _main(w, cfg)
    return "\n".join(w.lines).rstrip() + "\n"


def _main(w: _Writer, cfg: TrainConfig) -> None:
    lang, spec = w.lang, ARCHITECTURES[cfg.model][1]
    alternate = cfg.alternate_flips and cfg.uses("alternate_flips")
    data_help = say("export.help.data", lang)
    w.code(f"""
        def main() -> None:
            parser = argparse.ArgumentParser()
            parser.add_argument("--data",
                                help={data_help!r})
            parser.add_argument("--epochs", type=int, default=EPOCHS)
            parser.add_argument("--limit", type=int, default=0,
                                help={say("export.help.limit", lang)!r})
            parser.add_argument("--workers", type=int, default=2)
            args = parser.parse_args()
    """)
    w.lines += ["    if args.data is None and not CIFAR:",
                f"        parser.error({say('export.need_data', lang)!r})"]
    w.code("    torch.manual_seed(SEED)")
    w.comment("export.c.device_cpu" if cfg.device == "cpu" else "export.c.device", indent=4)
    w.code('device = torch.device("cpu")' if cfg.device == "cpu" else
           'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")', indent=4)
    w.code("""
            train_set, test_set = datasets(args.data, args.limit)
            whole = train_set
            while isinstance(whole, Subset):         # a held-out split, or --limit: the data set under it
                whole = whole.dataset
    """, indent=4)
    if alternate:
        w.code("    train_set = AlternatingFlips(train_set)")
    w.code("""
            train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=args.workers)
            test_loader = DataLoader(test_set, batch_size=BATCH_SIZE, shuffle=False, num_workers=args.workers)
            model = build(len(whole.classes)).to(device)
    """, indent=4)
    if spec is not None and spec.whiten:
        w.comment("export.c.fit_whitening", indent=4)
        w.code("""
            plain, _ = datasets(args.data, args.limit, augment=False)
            spread = DataLoader(plain, batch_size=5000, shuffle=True, generator=torch.Generator().manual_seed(SEED))
            model.fit_whitening(next(iter(spread))[0].to(device))
        """, indent=4)
    w.comment("export.c.loss", indent=4, smoothing=str(cfg.label_smoothing))
    w.code("    loss_fn = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)")
    shifts = cfg.bias_lr != 1 and cfg.uses("bias_lr")
    w.comment("export.c.optimizer", indent=4, optimizer=cfg.optimizer)
    if shifts:
        w.comment("export.c.bias_lr", indent=4, times=str(cfg.bias_lr))
        w.code(f"""
            shifts = [m.bias for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
            others = [p for p in model.parameters() if p.requires_grad and all(p is not s for s in shifts)]
            params = [dict(params=others, lr=LR, weight_decay=WEIGHT_DECAY),
                      dict(params=shifts, lr=LR * {cfg.bias_lr!r}, weight_decay=WEIGHT_DECAY / {cfg.bias_lr!r})]
        """, indent=4)
    else:
        w.code("    params = [p for p in model.parameters() if p.requires_grad]")
    if cfg.optimizer == "sgd":
        w.code("    optimizer = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, nesterov=NESTEROV, "
               "weight_decay=WEIGHT_DECAY)")
    else:
        cls = "Adam" if cfg.optimizer == "adam" else "AdamW"
        w.code(f"    optimizer = torch.optim.{cls}(params, lr=LR, betas=(MOMENTUM, 0.999), weight_decay=WEIGHT_DECAY)")
    if cfg.schedule != "constant" or cfg.lookahead:
        w.code("    total = args.epochs * len(train_loader)")
    if cfg.lookahead:
        w.code("    lookahead, done = Lookahead(model, total), 0")
    if cfg.schedule != "constant":
        w.code("""
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total))
        """, indent=4)
    w.blank()
    w.comment("export.c.loop", indent=4)
    w.code("""
            for epoch in range(args.epochs):
                model.train()
    """, indent=4)
    if alternate:
        w.code(f"        train_set.epoch = epoch{'':5}# {say('export.c.which_flips', lang)}")
    w.code("""
                loss_sum, seen = 0.0, 0
                for inputs, labels in train_loader:
                    inputs, labels = inputs.to(device), labels.to(device)
                    y_pred = model(inputs)
                    loss = loss_fn(y_pred, labels)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
    """, indent=8)
    if cfg.schedule != "constant":
        w.lines.append("            scheduler.step()")
    if cfg.lookahead:
        w.code("""
            done += 1
            if done % LOOKAHEAD == 0:
                lookahead.pull(done)
        """, indent=12)
    w.code("""
        loss_sum += loss.item() * len(labels)
        seen += len(labels)
    """, indent=12)
    if cfg.lookahead:
        w.code("""
            if done % LOOKAHEAD:                 # the test sees the averaged weights
                lookahead.pull(done)
        """, indent=8)
    w.code("        accuracy = test(model, test_loader, device)")
    template = WORDS["export.print_epoch"][lang]
    w.lines += [f"        said = {template!r}",
                "        print(said.format(epoch=epoch + 1, epochs=args.epochs, loss=loss_sum / max(1, seen),",
                "                          accuracy=accuracy), flush=True)"]
    w.blank(2)
    w.code("""
        if __name__ == "__main__":
            main()
    """)
