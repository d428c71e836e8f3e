"""The architectures: exact sizes, output shapes, summary(), and that a network can learn at all.

    .venv/bin/python -m pytest tests/test_models.py -q
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnlib import cpu
from cnnlib.models import ARCHITECTURES, TutorialCNN, build_model, count_parameters, fit_to_data, layer_table, summary


def test_tutorial_cnn_has_the_tutorials_parameter_count():
    assert count_parameters(TutorialCNN()) == 4_210_090
    assert count_parameters(build_model("tutorial")) == 4_210_090


def test_tutorial_cnn_layers_match_the_tutorial():
    m = TutorialCNN()
    assert (m.conv1.in_channels, m.conv1.out_channels, m.conv1.kernel_size) == (3, 32, (3, 3))
    assert (m.fc3.in_features, m.fc3.out_features) == (8192, 512)
    assert (m.drop1.p, m.drop3.p) == (0.3, 0.5)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
@pytest.mark.parametrize("classes", [10, 3])
def test_every_architecture_gives_one_logit_per_class(name, classes):
    m = build_model(name, num_classes=classes).eval()
    with torch.no_grad():
        out = m(torch.rand(2, 3, 32, 32))
    assert out.shape == (2, classes)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_summary_rows_add_up_to_the_parameter_count(name):
    m = build_model(name)
    rows = summary(m)
    assert rows, "summary() found no layers"
    assert sum(r.parameters for r in rows) == count_parameters(m)
    assert sum(r.learned for r in rows) == count_parameters(m, learned=True)
    assert rows[-1].output_shape == (10,)
    assert rows[-1].kind == "Linear"
    assert all(isinstance(r.output_shape, tuple) and all(d > 0 for d in r.output_shape) for r in rows)


def test_summary_of_the_tutorial_cnn_gives_each_layers_shape():
    rows = {r.name: r for r in summary(TutorialCNN())}
    assert rows["conv1"].output_shape == (32, 32, 32)
    assert rows["conv1"].parameters == 3 * 32 * 9 + 32
    assert rows["pool2"].output_shape == (32, 16, 16)
    assert rows["flat"].output_shape == (8192,)
    assert rows["fc3"].output_shape == (512,)
    assert rows["fc3"].parameters == 8192 * 512 + 512
    assert rows["fc4"].output_shape == (10,)
    assert list(rows) == ["conv1", "act1", "drop1", "conv2", "act2", "pool2", "flat", "fc3", "act3", "drop3", "fc4"]


def test_summary_keeps_the_training_mode_and_removes_its_hooks():
    m = build_model("fast").train()
    summary(m)
    assert m.training
    assert all(not mod._forward_hooks for mod in m.modules())


def test_tutorial_cnn_follows_the_image_size():
    m = build_model("tutorial", image_size=64).eval()
    with torch.no_grad():
        assert m(torch.rand(1, 3, 64, 64)).shape == (1, 10)


def test_unknown_architecture_and_bad_image_size_are_refused():
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        build_model("nope")
    with pytest.raises(ValueError, match="multiple of 16"):
        build_model("vgg", image_size=40)
    with pytest.raises(ValueError, match="halves the image 4 times: the image size 24 must be a multiple of 16"):
        build_model("quick", image_size=24)                 # its whitening layer halves it before 3 blocks do


def test_the_quick_network_halves_the_image_first_and_takes_the_smallest_sizes_it_can():
    from cnnlib.models import smallest_side
    m = build_model("quick")
    whiten = m.stem[0]
    assert whiten.conv.stride == (2, 2) and len([c for c in m.modules() if isinstance(c, nn.Conv2d)]) == 4
    fit_to_data(m, lambda: smooth_images())
    with torch.no_grad():
        assert m.stem(torch.rand(2, 3, 32, 32)).shape == (2, 24, 16, 16)
        assert m.eval()(torch.rand(2, 3, 32, 32)).shape == (2, 10)
        assert m(torch.rand(2, 3, 16, 16)).shape == (2, 10)           # the smallest side: 16 pixels to 1
    assert (smallest_side("quick"), smallest_side("speedrun"), smallest_side("small")) == (16, 9, 8)
    assert count_parameters(m, learned=True) < count_parameters(build_model("small"), learned=True) / 2
    from cnnlib.models import ConvNet, ConvNetSpec
    with pytest.raises(AssertionError, match="stride is 1 or 2, not 3"):    # the sizes above assume one of those
        ConvNet(ConvNetSpec(widths=(8,), whiten=True, whiten_stride=3))


@pytest.mark.parametrize("name", ["tutorial", "fast"])
def test_loss_falls_when_overfitting_a_few_images(name):
    torch.manual_seed(0)
    x = torch.rand(8, 3, 32, 32)
    y = torch.arange(8) % 4
    m = build_model(name, num_classes=4)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        loss = nn.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0], losses
    with torch.no_grad():  # still in training mode: batch norm's running averages lag after 20 steps
        assert (m(x).argmax(1) == y).float().mean() == 1.0


@pytest.mark.parametrize("p", [0.3, 0.5])
def test_fast_dropout_drops_p_and_rescales_like_nn_dropout(p):
    from cnnlib.models import Dropout
    torch.manual_seed(0)
    d = Dropout(p)
    x = torch.ones(400, 1000, requires_grad=True)
    y = d(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 0.005
    assert torch.allclose(y[y != 0], torch.tensor(1 / (1 - p)))
    y.sum().backward()                                   # gradient flows through the kept units only
    assert torch.equal(x.grad == 0, y == 0)
    d.eval()
    assert torch.equal(d(x), x)


def test_fast_dropout_is_repeatable_for_a_seed():
    from cnnlib.models import Dropout
    x = torch.randn(8, 32, 5, 5)
    torch.manual_seed(1)
    a = Dropout(0.3)(x)
    torch.manual_seed(1)
    assert torch.equal(a, Dropout(0.3)(x))


def test_fast_dropout_draws_its_mask_in_the_layout_of_its_input():
    """A mask reads the random bits in its input's memory order, so that a channels-last mask is laid
    out as its input is; its values are 0 (dropped) or 1 / (1 - p) (kept)."""
    from cnnlib.models import Dropout, random_int16
    x = torch.randn(4, 8, 6, 6)
    torch.manual_seed(2)
    plain = Dropout(0.3).mask_like(x)
    torch.manual_seed(2)
    nhwc = Dropout(0.3).mask_like(x.contiguous(memory_format=torch.channels_last))
    assert nhwc.is_contiguous(memory_format=torch.channels_last)
    assert plain.unique().tolist() == [0.0, pytest.approx(1 / 0.7)]
    torch.manual_seed(2)
    bits = random_int16(4 * 6 * 6 * 8)
    keep_nhwc = (bits >= round(0.3 * 65536) - 32768).view(4, 6, 6, 8).permute(0, 3, 1, 2)
    assert torch.equal(nhwc != 0, keep_nhwc)           # unit (n, c, h, w) reads the bits stored at its place
    assert torch.equal(plain != 0, (bits >= round(0.3 * 65536) - 32768).view(x.shape))


@pytest.mark.parametrize("batch", [1, 32, 64, 65])
def test_linear_gives_nn_linears_output_and_gradients(batch):
    """cnnlib's Linear reorders the products for small CPU batches; the results are nn.Linear's."""
    from cnnlib.models import Linear
    torch.manual_seed(0)
    ours, theirs = Linear(300, 20), nn.Linear(300, 20)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(batch, 300)
    outputs = []
    for layer in (ours, theirs):
        xi = x.clone().requires_grad_()
        y = layer(xi)
        (y * torch.arange(20.0)).sum().backward()
        outputs.append((y, xi.grad, layer.weight.grad, layer.bias.grad))
    for a, b in zip(*outputs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


_HAS_DNN = cpu.has_onednn_linear()


@pytest.mark.skipif(not _HAS_DNN, reason="this PyTorch has no oneDNN; Linear then multiplies by MKL only")
@pytest.mark.parametrize("library", ["onednn", "mkl"])
@pytest.mark.parametrize("batch", [1, 32, 200])
@pytest.mark.parametrize("bias", [True, False])
def test_a_large_linear_layer_gives_nn_linears_results_by_either_library(monkeypatch, library, batch, bias):
    """A layer of 65,536 weights or more multiplies by oneDNN where cpu.matmul_library() says so: outputs
    and gradients are nn.Linear's within float rounding, with or without a bias, input or weight
    frozen, with or without autograd, and for an input that is a transposed view."""
    from cnnlib import models
    monkeypatch.setattr(cpu, "matmul_library", lambda: library)
    torch.manual_seed(0)
    ours, theirs = models.Linear(1024, 96, bias=bias), nn.Linear(1024, 96, bias=bias)
    assert ours.weight.numel() >= models._DNN_MIN_WEIGHTS
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(1024, batch).t()                   # not contiguous
    results = []
    for layer in (ours, theirs):
        xi = x.clone().requires_grad_()
        y = layer(xi)
        (y * torch.linspace(0, 1, 96)).sum().backward()
        with torch.no_grad():
            plain = layer(x)
        results.append((y, plain, xi.grad, layer.weight.grad) + ((layer.bias.grad,) if bias else ()))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    ours.weight.requires_grad_(False)                  # a frozen layer still hands its input a gradient
    xi = x.clone().requires_grad_()
    (ours(xi) * torch.linspace(0, 1, 96)).sum().backward()
    torch.testing.assert_close(xi.grad, results[1][2], rtol=1e-4, atol=1e-4)


def test_flatten_hands_a_channels_last_input_its_gradient_channels_last():
    from cnnlib.models import Flatten
    x = torch.randn(2, 3, 4, 4).contiguous(memory_format=torch.channels_last).requires_grad_()
    y = Flatten()(x)
    assert torch.equal(y, x.detach().flatten(1))       # the values in the usual (C, H, W) order
    (y * torch.arange(48.0)).sum().backward()
    assert x.grad.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(x.grad, torch.arange(48.0).view(1, 3, 4, 4).expand(2, -1, -1, -1))


def test_training_pools_before_the_relu_with_the_same_result():
    """In training, TutorialCNN max-pools before its second ReLU (they commute): the output and every
    gradient are those of the tutorial's order, which eval mode and summary() keep."""
    torch.manual_seed(0)
    model = TutorialCNN(conv_dropout=0, fc_dropout=0).train()
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    ours = nn.functional.cross_entropy(model(x), y)
    ours.backward()
    got = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    m = model
    h = nn.functional.max_pool2d(torch.relu(m.conv2(torch.relu(m.conv1(x)))), 2)      # the tutorial's order
    hidden = torch.relu(nn.functional.linear(h.flatten(1), m.fc3.weight, m.fc3.bias))
    ref = nn.functional.cross_entropy(m.fc4(hidden), y)
    ref.backward()
    torch.testing.assert_close(ours, ref)
    for g, p in zip(got, model.parameters()):
        torch.testing.assert_close(g, p.grad)
    assert [r.name for r in summary(model)][3:6] == ["conv2", "act2", "pool2"]


def smooth_images(n: int = 200, seed: int = 0) -> torch.Tensor:
    """Random images whose neighbouring pixels and channels are strongly correlated, as a photo's are."""
    g = torch.Generator().manual_seed(seed)
    x = nn.functional.interpolate(torch.randn(n, 1, 8, 8, generator=g), size=32, mode="bilinear")
    return x * torch.tensor([1.0, 0.8, 0.6])[:, None, None] + 0.1 * torch.randn(n, 3, 32, 32, generator=g)


def test_whiten_decorrelates_the_patches_it_was_fitted_on():
    from cnnlib.models import Whiten
    x = smooth_images()
    w = Whiten()
    assert not w.fitted
    w.fit(x)
    assert w.fitted and not w.conv.weight.requires_grad and w.conv.bias.requires_grad
    with torch.no_grad():
        y = w(x)
    assert y.shape == (200, 24, 31, 31)                        # 2x2, no padding: 31x31
    torch.testing.assert_close(y[:, 12:], -y[:, :12])           # each filter twice, the second negated
    f = y[:, :12].permute(0, 2, 3, 1).reshape(-1, 12)
    f = f - f.mean(0)
    cov = f.T @ f / len(f)
    off = cov - torch.diag(cov.diag())
    assert off.abs().max() < 1e-3                               # the input's covariance was far from diagonal
    # unit variance, less where eps outweighs a tiny eigenvalue
    assert ((cov.diag() > 0.3) & (cov.diag() < 1.01)).all()
    raw = x.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)
    raw = raw - raw.mean(0)
    raw_cov = raw.T @ raw / len(raw)
    assert (raw_cov - torch.diag(raw_cov.diag())).abs().max() > 0.1


def test_whiten_with_stride_2_decorrelates_patches_that_do_not_overlap():
    from cnnlib.models import Whiten
    x = smooth_images()
    w = Whiten(stride=2)
    w.fit(x)
    with torch.no_grad():
        y = w(x)
    assert y.shape == (200, 24, 16, 16)                         # every pixel kept, in 4 times the channels
    f = y[:, :12].permute(0, 2, 3, 1).reshape(-1, 12)
    f = f - f.mean(0)
    cov = f.T @ f / len(f)
    assert (cov - torch.diag(cov.diag())).abs().max() < 1e-3    # fitted on the patches it sees, not the overlapping
    assert ((cov.diag() > 0.3) & (cov.diag() < 1.01)).all()
    overlapping = Whiten()
    overlapping.fit(x)
    assert not torch.allclose(overlapping.conv.weight, w.conv.weight)
    again = Whiten(stride=2)
    again.load_state_dict(w.state_dict())                       # the stride is the network's, not the weights'
    assert torch.equal(again(x[:2]), w(x[:2]))


def test_fit_to_data_sets_a_new_network_once_and_a_loaded_one_keeps_its_own():
    m = build_model("speedrun")
    fit_to_data(m, lambda: smooth_images(seed=0))
    fitted = m.stem[0].conv.weight.clone()
    fit_to_data(m, lambda: smooth_images(seed=1))              # already set: unchanged
    assert torch.equal(m.stem[0].conv.weight, fitted)
    loaded = build_model("speedrun")
    loaded.load_state_dict(m.state_dict())                      # as a saved run comes back
    assert loaded.stem[0].fitted
    fit_to_data(loaded, lambda: 1 / 0)                         # never asks for images
    assert torch.equal(loaded.stem[0].conv.weight, fitted)


def test_identity_init_starts_each_conv_as_the_identity_on_its_first_input_many_filters():
    from cnnlib.models import ConvNet, ConvNetSpec
    net = ConvNet(ConvNetSpec(widths=(8, 16), identity_init=True))
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(3, 8), (8, 8), (8, 16), (16, 16)]
    for conv in convs:
        x = torch.randn(2, conv.in_channels, 6, 6)
        with torch.no_grad():
            y = conv(x)
        torch.testing.assert_close(y[:, :conv.in_channels], x)            # passed through unchanged
        if conv.out_channels > conv.in_channels:
            assert y[:, conv.in_channels:].abs().min() > 0                 # the rest drawn as usual
    plain = next(m for m in ConvNet(ConvNetSpec(widths=(8, 16))).modules() if isinstance(m, nn.Conv2d))
    assert not torch.equal(plain.weight[:3], convs[0].weight[:3])


def test_the_speedrun_network_has_airbenchs_layers():
    """GELU everywhere, batch norm with a fixed scale of 1 and fast running statistics, no class bias."""
    m = build_model("speedrun")
    assert not [x for x in m.modules() if isinstance(x, nn.ReLU)] and len([x for x in m.modules()
                                                                           if isinstance(x, nn.GELU)]) == 7
    bns = [x for x in m.modules() if isinstance(x, nn.BatchNorm2d)]
    assert len(bns) == 6 and all(not b.weight.requires_grad and b.bias.requires_grad for b in bns)
    assert all(b.momentum == 0.4 and b.eps == 1e-12 for b in bns)
    assert m.head[-1].bias is None and m.spec.head_scale == pytest.approx(1 / 9)
    assert count_parameters(m) == sum(p.numel() for p in m.parameters())   # frozen ones still counted
    fixed = m.stem[0].conv.weight.numel() + sum(b.weight.numel() for b in bns)
    assert count_parameters(m, learned=True) == count_parameters(m) - fixed


def test_the_layer_table_says_which_parameters_learn_where_some_are_fixed():
    rows, total, learned = layer_table("speedrun", 10)
    assert learned < total and sum(r["learned"] for r in rows) == learned
    assert sum(r["parameters"] for r in rows) == total
    whiten = next(r for r in rows if r["layer"] == "stem.0.conv")
    assert whiten["learned"] == whiten["parameters"] - 24 * 3 * 2 * 2 == 24    # only its bias learns
    rows, total, learned = layer_table("tutorial", 10)
    assert learned == total == 4_210_090 and "learned" not in rows[0]    # nothing fixed: no column


def test_has_batchnorm_tells_the_tutorials_network_from_the_others():
    from cnnlib.models import has_batchnorm
    assert [n for n in ARCHITECTURES if not has_batchnorm(n)] == ["tutorial"]
    assert all(any(isinstance(m, nn.BatchNorm2d) for m in build_model(n).modules()) == has_batchnorm(n)
               for n in ARCHITECTURES)


def test_a_conv_block_names_its_layers_as_airbenchs_conv_group_does():
    from cnnlib.models import ConvBlock, ConvNetSpec
    block = ConvBlock(3, 8, ConvNetSpec(), dropout=0.1)
    assert [n for n, _ in block.named_children()] == ["conv1", "pool", "norm1", "act1", "conv2", "norm2", "act2",
                                                      "drop"]
    assert isinstance(block.norm1, nn.BatchNorm2d) and block.conv2.in_channels == 8
    plain = ConvBlock(3, 8, ConvNetSpec(batchnorm=False, convs_per_block=1), dropout=0)
    assert [n for n, _ in plain.named_children()] == ["conv1", "pool", "norm1", "act1", "drop"]
    assert isinstance(plain.norm1, nn.Identity) and plain.conv1.bias is not None


# The names an older ConvBlock gave its weights, by place in two nn.Sequentials `first` (conv, pool,
# [bn], act) and `rest` (conv, [bn], act), in the order it made them: with batch norm, and without.
BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
OLD_BLOCK = {True: ["first.0.weight", *(f"first.2.{k}" for k in BN), "rest.0.weight", *(f"rest.1.{k}" for k in BN)],
             False: ["first.0.weight", "first.0.bias", "rest.0.weight", "rest.0.bias"]}


@pytest.mark.parametrize("spec", [dict(), dict(batchnorm=False), dict(residual=True, stem=4),
                                  dict(convs_per_block=1)], ids=["bn", "plain", "residual", "one-conv"])
def test_a_run_saved_before_the_blocks_named_their_layers_loads_and_computes_the_same(spec):
    from cnnlib.models import ConvNet, ConvNetSpec
    spec = ConvNetSpec(widths=(4, 8), **spec)
    torch.manual_seed(1)
    saved = ConvNet(spec, 5).eval()
    with torch.no_grad():
        for t in saved.state_dict().values():     # trained-looking weights and running statistics
            t.add_(torch.rand_like(t.float()).to(t.dtype))
    block = [k for k in OLD_BLOCK[spec.batchnorm] if spec.convs_per_block == 2 or k.startswith("first.")]
    old_keys = [k for k in saved.state_dict() if not k.startswith("blocks.")]
    old_keys[len(old_keys) - 2:len(old_keys) - 2] = [f"blocks.{b}.{k}" for b in range(2) for k in block]
    old_style = dict(zip(old_keys, saved.state_dict().values()))     # the same tensors in the same order
    assert any(".first.0." in k for k in old_style) and not any(".conv1." in k for k in old_style)
    torch.manual_seed(2)
    model = ConvNet(spec, 5)
    model.load_state_dict(old_style, strict=True)
    model.eval()
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), old_style.values()))
    x = torch.rand(3, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(model(x), saved(x))


def test_the_shipped_runs_weights_named_the_old_way_compute_what_their_tensors_say():
    """pretrained/cpu-5min-cifar10 was saved before ConvBlock named its layers: loaded, it computes what
    its tensors, read by their old names and run by hand, compute."""
    from pathlib import Path

    from torch.nn import functional as F

    from cnnlib.checkpoints import load_run
    folder = Path(__file__).resolve().parents[1] / "pretrained" / "cpu-5min-cifar10"
    old = {k: v.float() for k, v in torch.load(folder / "weights.pt", weights_only=True).items()}
    assert "blocks.0.first.0.weight" in old
    run = load_run(folder)
    x = torch.rand(4, 3, 32, 32)
    h = x
    for b in range(len(run.model.spec.widths)):
        for conv, bn, pool in ((f"blocks.{b}.first.0", f"blocks.{b}.first.2", True),
                               (f"blocks.{b}.rest.0", f"blocks.{b}.rest.1", False)):
            h = F.conv2d(h, old[f"{conv}.weight"], padding=1)
            h = F.max_pool2d(h, 2) if pool else h
            h = F.batch_norm(h, old[f"{bn}.running_mean"], old[f"{bn}.running_var"], old[f"{bn}.weight"],
                             old[f"{bn}.bias"], eps=run.model.spec.bn_eps)
            h = F.relu(h)
    by_hand = F.linear(h.amax((2, 3)), old["head.1.weight"], old["head.1.bias"]) * run.model.spec.head_scale
    with torch.no_grad():
        torch.testing.assert_close(run.model(x), by_hand, rtol=1e-5, atol=1e-5)
