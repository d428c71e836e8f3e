"""Tests for cnnlib.adversarial: FGSM, PGD and accuracy against epsilon, on a tiny network trained here.

    .venv/bin/python -m pytest tests/test_adversarial.py -q

The data: dim noise with one coloured patch whose colour is the class, learned in a few seconds by
the tutorial's CNN (normalised by a mean and std, as a run's are).
"""
from __future__ import annotations

import threading

import pytest
import torch

from cnnlib.adversarial import EPSILONS, accuracy_vs_epsilon, fgsm, perturbation_image, pgd, quantize, sample
from cnnlib.config import TrainConfig
from cnnlib.data import Dataset
from cnnlib.inference import Predictor, fool, robustness, see
from cnnlib.models import ARCHITECTURES, build_model
from cnnlib.train import evaluate, fit, make_model

MEAN, STD = [0.3, 0.25, 0.2], [0.2, 0.22, 0.25]


def patch_images(n: int, seed: int, size: int = 16, patch: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise with one red, green or blue patch (the class) somewhere."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 110, (n, 3, size, size), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 3, (n,), generator=g)
    at = torch.randint(0, size - patch + 1, (n, 2), generator=g)
    for i in range(n):
        top, left = int(at[i, 0]), int(at[i, 1])
        x[i, :, top:top + patch, left:left + patch] = 60
        x[i, int(y[i]), top:top + patch, left:left + patch] = 200
    return x, y


@pytest.fixture(scope="module")
def trained() -> tuple[torch.nn.Module, Dataset]:
    x, y = patch_images(800, seed=0)
    xt, yt = patch_images(120, seed=1)
    data = Dataset("patches", ("red", "green", "blue"), x, y, xt, yt)
    cfg = TrainConfig(model="tutorial", epochs=1, batch_size=32, optimizer="adam", lr=2e-3,
                      conv_dropout=0.0, fc_dropout=0.0, report_every=10_000, seed=0)
    model = make_model(cfg, data)
    *_, done = fit(model, data, cfg)
    assert done.final_acc > 0.8
    return model, data


def test_epsilon_zero_changes_nothing(trained):
    model, data = trained
    x, y = data.x_test[:20], data.y_test[:20]
    for attack in (fgsm(model, x, y, 0.0, MEAN, STD), pgd(model, x, y, 0.0, 5, MEAN, STD)):
        assert torch.equal(quantize(attack), x)


@pytest.mark.parametrize("eps", [1 / 255, 4 / 255, 16 / 255])
def test_the_change_stays_within_epsilon_and_the_image_within_0_1(trained, eps):
    model, data = trained
    x, y = data.x_test[:40], data.y_test[:40]
    x0 = x.float() / 255
    for adv in (fgsm(model, x, y, eps, MEAN, STD), pgd(model, x, y, eps, 5, MEAN, STD)):
        assert adv.dtype == torch.float32 and adv.shape == x.shape
        assert float((adv - x0).abs().max()) <= eps + 1e-6
        assert float(adv.min()) >= 0 and float(adv.max()) <= 1
        assert float((adv - x0).abs().max()) > eps / 2                # it did move
        # a multiple of 1/255 stays within epsilon once made a uint8 image again
        assert int((quantize(adv).int() - x.int()).abs().max()) <= round(eps * 255)


def test_the_image_clips_at_black_and_white(trained):
    model, _ = trained
    x = torch.zeros(4, 3, 16, 16, dtype=torch.uint8)
    x[2:] = 255
    adv = fgsm(model, x, torch.tensor([0, 1, 2, 0]), 8 / 255, MEAN, STD)
    assert float(adv.min()) >= 0 and float(adv.max()) <= 1


def test_accuracy_falls_as_epsilon_grows_and_pgd_is_at_least_as_strong(trained):
    model, data = trained
    epsilons = [0, 2 / 255, 8 / 255, 32 / 255]
    plain = accuracy_vs_epsilon(model, data.x_test, data.y_test, epsilons, MEAN, STD, batch_size=50)
    clean = evaluate(model, data.x_test, data.y_test, torch.tensor(MEAN), torch.tensor(STD)).accuracy
    assert plain[0] == pytest.approx(clean)
    assert all(a >= b for a, b in zip(plain, plain[1:])), plain
    assert plain[-1] < plain[0] - 0.3, plain
    strong = accuracy_vs_epsilon(model, data.x_test, data.y_test, epsilons, MEAN, STD, steps=5)
    assert strong[0] == pytest.approx(clean)
    assert all(s <= p for s, p in zip(strong, plain)), (strong, plain)


def test_the_weights_get_no_gradient_and_the_model_its_mode_back(trained):
    model, data = trained
    model.zero_grad(set_to_none=True)
    model.train()
    pgd(model, data.x_test[:8], data.y_test[:8], 4 / 255, 3, MEAN, STD)
    fgsm(model, data.x_test[:8], data.y_test[:8], 4 / 255, MEAN, STD)
    assert model.training
    assert all(p.grad is None and p.requires_grad for p in model.parameters())
    model.eval()


def test_works_under_no_grad(trained):
    model, data = trained
    with torch.inference_mode():
        adv = fgsm(model, data.x_test[:4], data.y_test[:4], 4 / 255, MEAN, STD)
    assert float((adv - data.x_test[:4].float() / 255).abs().max()) > 0


def test_perturbation_image_is_grey_for_no_change():
    x = torch.full((3, 4, 4), 100, dtype=torch.uint8)
    up = x.clone()
    up[0, 0, 0] = 104
    img = perturbation_image(x, up, 4 / 255)
    assert int(img[0, 0, 0]) == 255 and int(img[1, 1, 1]) == 128
    assert int(perturbation_image(x, x, 0.0).float().mean()) == 128


def test_sample_is_fixed_and_bounded():
    assert torch.equal(sample(1000, 500), sample(1000, 500)) and len(sample(1000, 500)) == 500
    assert sorted(sample(30, 500).tolist()) == list(range(30))


def test_predictor_fool_and_robustness(trained):
    model, data = trained
    p = Predictor("t", model, data.classes, 16, MEAN, STD)
    image = data.x_test[0]
    same = fool(p, image, 0.0)
    assert torch.equal(same.perturbed, image) and same.before.target == same.after.target
    assert same.original.shape == same.adversarial.shape == same.perturbation.shape == (128, 128, 3)
    seen = see(p, image)                                     # Inspect's own Grad-CAM of the answer, handed on
    again = fool(p, image, 0.0, before=seen.cam)
    assert again.before is seen.cam and torch.equal(again.before.heatmap, same.before.heatmap)
    hard = fool(p, image, 32 / 255, steps=5)
    assert int((hard.perturbed.int() - image.int()).abs().max()) <= 32
    assert hard.after.probabilities[hard.before.target] < same.before.probabilities[same.before.target]
    # two sessions at once on the same shared model: the lock keeps them apart
    out = []
    threads = [threading.Thread(target=lambda: out.append(robustness(p, data, EPSILONS, n=60))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 2 and out[0] == out[1] and len(out[0]) == len(EPSILONS)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_can_be_attacked(name):
    torch.manual_seed(0)
    model = build_model(name, 10).eval()
    x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    y = torch.tensor([1, 2])
    for adv in (fgsm(model, x, y, 2 / 255, MEAN, STD), pgd(model, x, y, 2 / 255, 2, MEAN, STD)):
        assert float((adv - x.float() / 255).abs().max()) <= 2 / 255 + 1e-6


def test_an_attack_takes_fewer_large_images_at_a_time(monkeypatch):
    from cnnlib import adversarial
    assert adversarial.attack_batch(32) == adversarial.ATTACK_BATCH == 64
    assert adversarial.attack_batch(64) == 16 and adversarial.attack_batch(256) == 1 and adversarial.attack_batch(0) > 0
    seen, real = [], adversarial._sign_of_gradient

    def spy(model, x0, *a):
        seen.append(len(x0))
        return real(model, x0, *a)
    monkeypatch.setattr(adversarial, "_sign_of_gradient", spy)
    model = build_model("small", 10, 0.0, 0.0, 64).eval()
    images, labels = torch.randint(0, 256, (40, 3, 64, 64), dtype=torch.uint8), torch.randint(0, 10, (40,))
    accuracy_vs_epsilon(model, images, labels, (0.0, 0.01))
    assert seen == [16, 16, 8]
