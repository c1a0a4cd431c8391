#!/usr/bin/env python3
"""Exports the PyTorch fixture that `crates/infer/tests/pytorch_weights.rs` loads into Lumen's burn networks.

Defines Lumen's two built-in architectures in PyTorch with the module names that `lumen_infer::pytorch`
maps onto burn (see docs/AI.md, "Loading PyTorch weights"), gives them seeded random weights and non-trivial
batch-norm running statistics, and writes, next to this script:

  classifier.safetensors      Classifier2d state_dict (widths [4, 8], 2 classes), as PyTorch saves it
  classifier_f64.safetensors  the same weights in float64 (checks the cast to float32 on load)
  unet.safetensors            Unet2d state_dict (widths [4, 8], 3 classes)
  expected.json               the fixed input and PyTorch's eval-mode outputs for it

Run once, with PyTorch and safetensors installed (CI does not need them; the outputs are committed):

  python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch safetensors
  /tmp/torchvenv/bin/python models/pytorch-fixture/export.py
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 16


def conv3x3(i, o):
    return nn.Conv2d(i, o, kernel_size=3, padding=1, bias=False)


class ConvBlock(nn.Module):
    """Classifier block: (3x3 conv, batch norm, ReLU) x 2, then 2x2 max pooling."""

    def __init__(self, i, o):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(i, o), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = conv3x3(o, o), nn.BatchNorm2d(o)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.max_pool2d(x, 2)


class Classifier2d(nn.Module):
    """lumen_infer::arch::Classifier2d: keys blocks.N.{conv1,bn1,conv2,bn2}.*, head.{weight,bias}."""

    def __init__(self, in_channels, widths, classes, dropout=0.2):
        super().__init__()
        chans = [in_channels] + list(widths)
        self.blocks = nn.ModuleList(ConvBlock(a, b) for a, b in zip(chans, chans[1:]))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(chans[-1], classes)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(self.dropout(x))


class DoubleConv(nn.Module):
    """U-Net level: (3x3 conv, batch norm, ReLU) x 2 at the same resolution."""

    def __init__(self, i, o):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(i, o), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = conv3x3(o, o), nn.BatchNorm2d(o)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class UpBlock(nn.Module):
    def __init__(self, coarse, fine):
        super().__init__()
        self.up = nn.ConvTranspose2d(coarse, fine, kernel_size=2, stride=2)
        self.conv = DoubleConv(2 * fine, fine)


class Unet2d(nn.Module):
    """lumen_infer::arch::Unet2d: keys down.N.*, up.N.up.{weight,bias}, up.N.conv.*, head.{weight,bias}."""

    def __init__(self, in_channels, widths, classes):
        super().__init__()
        chans = [in_channels] + list(widths)
        self.down = nn.ModuleList(DoubleConv(a, b) for a, b in zip(chans, chans[1:]))
        # Decoder levels coarsest first, as in burn.
        self.up = nn.ModuleList(UpBlock(c, f) for f, c in reversed(list(zip(widths, widths[1:]))))
        self.head = nn.Conv2d(widths[0], classes, kernel_size=1)

    def forward(self, x):
        skips = []
        for i, level in enumerate(self.down):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = level(x)
            skips.append(x)
        skips.pop()  # the bottleneck is x itself
        for block in self.up:
            x = block.conv(torch.cat([skips.pop(), block.up(x)], dim=1))
        return self.head(x)


def randomise(model, generator):
    """Seeded weights away from PyTorch's defaults, so a wrongly mapped tensor changes the outputs."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("bn1.weight", "bn2.weight")):
                p.copy_(0.5 + torch.rand(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.4)
    # Running statistics from a few training-mode passes over random batches (mean and variance not 0 and 1).
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(4, 1, SIZE, SIZE, generator=generator) * 1.5 + 0.3)
    model.eval()


def fixed_input():
    """A deterministic [1, 1, 16, 16] image: smooth pattern plus a bright square, no RNG involved."""
    values = []
    for y in range(SIZE):
        for x in range(SIZE):
            v = math.sin(0.7 * x) * math.cos(0.45 * y) + 0.05 * (x - y)
            if 4 <= x < 9 and 6 <= y < 12:
                v += 1.5
            values.append(round(v, 6))
    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, SIZE, SIZE)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(20261127)
    x = fixed_input()

    classifier = Classifier2d(1, [4, 8], 2)
    randomise(classifier, generator)
    unet = Unet2d(1, [4, 8], 3)
    randomise(unet, generator)

    with torch.no_grad():
        logits = classifier(x)
        seg = unet(x)

    # Exactly what a PyTorch user writes: the state_dict as is, num_batches_tracked included.
    save_file(classifier.state_dict(), os.path.join(HERE, "classifier.safetensors"))
    save_file(
        {k: (v.double() if v.is_floating_point() else v) for k, v in classifier.state_dict().items()},
        os.path.join(HERE, "classifier_f64.safetensors"),
    )
    save_file(unet.state_dict(), os.path.join(HERE, "unet.safetensors"))

    expected = {
        "torch_version": torch.__version__,
        "input": {"shape": list(x.shape), "values": flat(x)},
        "classifier": {
            "spec": {"in_channels": 1, "widths": [4, 8], "classes": 2},
            "logits": {"shape": list(logits.shape), "values": flat(logits)},
        },
        "unet": {
            "spec": {"in_channels": 1, "widths": [4, 8], "classes": 3},
            "logits": {"shape": list(seg.shape), "values": flat(seg)},
        },
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("torch", torch.__version__)
    print("classifier keys:", ", ".join(classifier.state_dict()))
    print("unet keys:", ", ".join(unet.state_dict()))
    print("classifier logits:", flat(logits))


if __name__ == "__main__":
    main()
