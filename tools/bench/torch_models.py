"""PyTorch twins of the benchmark models, layer for layer the same as the
JSON files ModuleLab benchmarks (resources/examples/*.json and
resources/bench/*.json).

The example models come from tests/fixtures/pytorch_models.py, the file the
engine's parity tests are checked against; only what the fixtures lack (the
widened multi-task network and the ResNet-block model) is built here, from
the fixtures' own classes so the forward code is the one the tests use.

Each spec says how one training step looks, as ModuleLab's training section
does: which forward calls, which loss on which output, which target.
"""

import os
import sys

import torch
from torch import nn

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(_ROOT, "tests", "fixtures"))

import pytorch_models as fixtures  # noqa: E402  (needs the path above)


def multitask(in_features=10, hidden=5):
    """The fixture's MultiTaskNetwork; other sizes swap its layers in place
    (same names and registration order, same forward(x, task_index))."""
    model = fixtures.MultiTaskNetwork()
    if (in_features, hidden) != (10, 5):
        model.shared_layer = nn.Linear(in_features, hidden)
        model.task_layers = nn.ModuleList([nn.Linear(hidden, 2), nn.Linear(hidden, 3), nn.Linear(hidden, 1)])
    return model


class ResNetBlocks(nn.Module):
    """resources/bench/resnet_blocks.json: stem Conv(3, 64) + BN + ReLU, two
    identity residual blocks at 64 channels (the tutorial's block, which
    works when the channel count does not change), pool, Linear(64, 10)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU())
        self.block1 = fixtures.TutorialResidualBlock(64, 64)
        self.block2 = fixtures.TutorialResidualBlock(64, 64)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.block2(self.block1(self.stem(x)))), 1))


# The multi-task objectives of the examples' training section, trained
# jointly: one forward per head (the trunk runs three times, as in
# ModuleLab's joint schedule), losses summed with weight 1.
_MULTITASK_LOSSES = [(0, "cross_entropy", 2), (1, "cross_entropy", 3), (2, "mse", 1)]

# name -> (ModuleLab file relative to the repository, batch, builder,
#          input shape per sample, objectives [(task_index or None, loss, width)])
SPECS = {
    "multitask": ("resources/examples/multitask.json", 64, lambda: multitask(10, 5), [10], _MULTITASK_LOSSES),
    "multitask_wide": ("resources/bench/multitask_wide.json", 256, lambda: multitask(128, 256), [128],
                       _MULTITASK_LOSSES),
    "simple_cnn": ("resources/examples/simple_cnn.json", 64, fixtures.SimpleCNN, [3, 32, 32],
                   [(None, "cross_entropy", 10)]),
    "resnet_blocks": ("resources/bench/resnet_blocks.json", 32, ResNetBlocks, [3, 32, 32],
                      [(None, "cross_entropy", 10)]),
}


def count_parameters(model):
    return fixtures.count_parameters(model)


def forward_multiply_adds(model, spec_inputs):
    """Multiply-adds of one forward of every Linear/Conv2d that runs, each
    module counted once however often it is called: the count ModuleLab's
    Plan::forwardMultiplyAdds makes (one plan step per layer). Used only to
    cross-check ModuleLab's FLOP figure."""
    seen = {}

    def hook(module, inputs, output):
        if id(module) in seen:
            return
        if isinstance(module, nn.Linear):
            seen[id(module)] = output.numel() * module.in_features
        elif isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            seen[id(module)] = output.numel() * (module.in_channels // module.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    try:
        with torch.no_grad():
            for call in spec_inputs:
                model(*call)
    finally:
        for h in handles:
            h.remove()
    return float(sum(seen.values()))
