#!/usr/bin/env python3
"""The generator of ../shared/fixtures/torch-resnet-reference.json: PyTorch and
torchvision references for the engine's ResNets and its resized crop.

Run with Debian's PyTorch 1.13 / torchvision 0.14 (apt-get install -y python3-torch python3-torchvision):

    /usr/bin/python3 test/reference/torch_resnet_reference.py --seed 0 --out /tmp/ref-seed0.json
    /usr/bin/python3 test/reference/torch_resnet_reference.py --seed 1 --out /tmp/ref-seed1.json

Seed 0 reproduces the shared fixture byte for byte (checked when the script was written: `cmp` finds no
difference); any other seed gives a file in the same format that the engine has never been shown, for
`npm run reference -- FILE.json`.

Method (the fixture's `about` says the same):
- case i (0-based) draws everything from torch.manual_seed(seed + i + 1);
- training cases: convolutions and fc get PyTorch's default init (kaiming_uniform_(a=sqrt(5)); fc bias
  U(+-1/sqrt(fan_in))) in state_dict order, then every BatchNorm, in state_dict order, gamma ~ U(0.5, 1.5) and
  beta ~ U(-0.2, 0.2), so that no layer is the identity; then two batches of 8, each x ~ N(0, 1) (NCHW) then
  labels ~ U{0..classes-1};
- the model is then copied to float64 and trained from those float32 values: the float64 run is the reference,
  and the float32 run's distance from it is torchFloat32Error;
- crop cases: a uint8 image ~ U{0..255} (CHW) from the case's seed, then, from the same seed again, 12 windows
  from RandomResizedCrop.get_params (scale (0.08, 1), ratio (3/4, 4/3)) flipped when their index is a multiple
  of 3, then four edge cases: the whole image, a 2x2 window at the top-left corner, a 3x5 window at the
  bottom-right corner (flipped), and the window one row and two columns in from the top-left corner.
"""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as TF

BATCH = 8
ABOUT = (
    "PyTorch {torch} / torchvision {vision} reference, seed {seed}. Training cases: the engine's resnet20 (He et al. CIFAR, option-A "
    "shortcuts, zero channels split evenly before and after), resnet18 (small stem: 3x3 stride-1 conv, no max-pool) and resnet50 "
    "(7x7 stride-2 stem, 3x3 stride-2 max-pool, Bottleneck v1.5) at widths with whole channel counts; parameters and BatchNorm "
    "running statistics by torchvision state_dict name (running_var is torch's unbiased running variance), in TensorFlow.js layouts "
    "(NHWC inputs, [kh,kw,in,out] kernels, [in,out] fc kernel). init and batches are float32 values; the reference (lossPerStep, "
    "gradientsAtStep0, final, evalLogitsOnBatch0AfterTraining) is computed from them in float64, i.e. what exact arithmetic gives. "
    "torchFloat32Error is how far PyTorch's own float32 run lands from that reference: per tensor, the largest absolute difference "
    "divided by the reference tensor's largest magnitude (losses: relative, step by step). Deep narrow ResNets amplify rounding, so "
    "these errors range from ~1e-7 to ~1e-1; an engine is as exact as PyTorch's float32 when its own error, measured the same way, "
    "is within 10x of torchFloat32Error (or under 1e-5). torch.optim.SGD with coupled weight decay in two groups: tensors of rank > 1 "
    "always decayed, the rank-1 ones (BN gamma/beta, fc bias) only when decayNormAndBias. BatchNorm momentum 0.1, eps 1e-5. "
    "Training mode for the steps, eval mode for the logits. Crop cases: a uint8 image, windows (top, left, height, width) from "
    "torchvision RandomResizedCrop.get_params plus edge cases, each resized back to the image size by "
    "torchvision.transforms.functional.resized_crop (bilinear, half-pixel centres, antialias off: every window is no larger than "
    "the image), then flipped horizontally where flip is true; outputs are float pixel values 0-255, HWC."
)

TRAINING_CASES = [
    {
        "name": "resnet20-w0.25",
        "model": {"arch": "resnet20", "width": 0.25, "stem": "auto"},
        "inputShape": [8, 8, 3],
        "numClasses": 4,
        "hyper": {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weightDecay": 0.0005, "decayNormAndBias": False, "steps": 4},
    },
    {
        "name": "resnet18-w0.0625-small-stem",
        "model": {"arch": "resnet18", "width": 0.0625, "stem": "small"},
        "inputShape": [16, 16, 3],
        "numClasses": 5,
        "hyper": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.001, "decayNormAndBias": True, "steps": 4},
    },
    {
        "name": "resnet50-w0.0625-imagenet-stem",
        "model": {"arch": "resnet50", "width": 0.0625, "stem": "auto"},
        "inputShape": [64, 64, 3],
        "numClasses": 3,
        "hyper": {"lr": 0.02, "momentum": 0.9, "nesterov": False, "weightDecay": 0.0001, "decayNormAndBias": True, "steps": 2},
    },
]
CROP_CASES = [(28, 28, 1), (32, 32, 3)]
BN_MOMENTUM = 0.1
BN_EPSILON = 1e-5


# --- the engine's ResNets in PyTorch, with torchvision's module names -------------------------------------------


def ch(base, width):
    return max(1, round(base * width))


def conv_bn(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False), nn.BatchNorm2d(cout, eps=BN_EPSILON, momentum=BN_MOMENTUM)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride, shortcut):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, cout, 3, stride)
        self.conv2, self.bn2 = conv_bn(cout, cout, 3, 1)
        self.shortcut_kind = shortcut
        self.stride, self.extra = stride, cout - cin
        if shortcut == "projection":
            self.downsample = nn.Sequential(*conv_bn(cin, cout, 1, stride))

    def residual(self, x):
        return self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))

    def forward(self, x):
        return F.relu(self.residual(x) + self.skip(x))

    def skip(self, x):
        if self.shortcut_kind == "identity":
            return x
        if self.shortcut_kind == "projection":
            return self.downsample(x)
        # He et al.'s option A: every stride-th pixel from (0, 0), zero channels split before and after.
        before = self.extra // 2
        return F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, before, self.extra - before))


class Bottleneck(Basic):
    def __init__(self, cin, mid, cout, stride, shortcut):
        nn.Module.__init__(self)
        self.conv1, self.bn1 = conv_bn(cin, mid, 1, 1)
        self.conv2, self.bn2 = conv_bn(mid, mid, 3, stride)  # v1.5: the stride on the 3x3
        self.conv3, self.bn3 = conv_bn(mid, cout, 1, 1)
        self.shortcut_kind = shortcut
        if shortcut == "projection":
            self.downsample = nn.Sequential(*conv_bn(cin, cout, 1, stride))

    def residual(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return self.bn3(self.conv3(h))


class ResNet(nn.Module):
    def __init__(self, arch, width, stem, input_shape, classes):
        super().__init__()
        cin = input_shape[2]
        stages = []
        if arch in ("resnet20", "resnet32", "resnet56"):
            n = {"resnet20": 3, "resnet32": 5, "resnet56": 9}[arch]
            c = ch(16, width)
            self.conv1, self.bn1 = conv_bn(cin, c, 3, 1)
            self.max_pool = False
            for s, base in enumerate([16, 32, 64]):
                blocks = []
                out = ch(base, width)
                for i in range(n):
                    stride = 2 if s > 0 and i == 0 else 1
                    shortcut = "zero-pad" if stride != 1 or c != out else "identity"
                    blocks.append(Basic(c, out, stride, shortcut))
                    c = out
                stages.append(nn.Sequential(*blocks))
        else:
            depths, bottleneck = {"resnet18": ([2, 2, 2, 2], False), "resnet34": ([3, 4, 6, 3], False), "resnet50": ([3, 4, 6, 3], True)}[arch]
            small = stem == "small" or (stem == "auto" and min(input_shape[0], input_shape[1]) < 64)
            c = ch(64, width)
            self.conv1, self.bn1 = conv_bn(cin, c, 3, 1) if small else conv_bn(cin, c, 7, 2)
            self.max_pool = not small
            for s, base in enumerate([64, 128, 256, 512]):
                blocks = []
                mid, out = ch(base, width), ch(base * (4 if bottleneck else 1), width)
                for i in range(depths[s]):
                    stride = 2 if s > 0 and i == 0 else 1
                    shortcut = "projection" if stride != 1 or c != out else "identity"
                    blocks.append(Bottleneck(c, mid, out, stride, shortcut) if bottleneck else Basic(c, out, stride, shortcut))
                    c = out
                stages.append(nn.Sequential(*blocks))
        for i, stage in enumerate(stages):
            self.add_module(f"layer{i + 1}", stage)
        self.stages = len(stages)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        if self.max_pool:
            h = F.max_pool2d(h, 3, 2, 1)
        for i in range(self.stages):
            h = getattr(self, f"layer{i + 1}")(h)
        return self.fc(h.mean((2, 3)))


# --- layouts, init, training -------------------------------------------------------------------------------------


def to_tfjs(t):
    """torch layout -> TensorFlow.js layout: conv [out,in,kh,kw] -> [kh,kw,in,out], fc [out,in] -> [in,out], NCHW -> NHWC."""
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)
    if t.dim() == 2:
        return t.t()
    return t


def tensors(state):
    """state_dict without num_batches_tracked."""
    return {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}


def initialise(model):
    with torch.no_grad():
        names = list(tensors(model.state_dict()))
        modules = dict(model.named_modules())
        for name in names:
            module = modules[name.rsplit(".", 1)[0]]
            if isinstance(module, nn.Conv2d) and name.endswith(".weight"):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5))
        model.fc.reset_parameters()
        for name in names:
            module = modules[name.rsplit(".", 1)[0]]
            if isinstance(module, nn.BatchNorm2d) and name.endswith(".weight"):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)


def train(model, batches, hyper, dtype):
    model = model.to(dtype)
    model.train()
    decayed = [p for p in model.parameters() if p.dim() > 1 or hyper["decayNormAndBias"]]
    exempt = [p for p in model.parameters() if not (p.dim() > 1 or hyper["decayNormAndBias"])]
    groups = [{"params": decayed, "weight_decay": hyper["weightDecay"]}]
    if exempt:
        groups.append({"params": exempt, "weight_decay": 0.0})
    sgd = torch.optim.SGD(groups, lr=hyper["lr"], momentum=hyper["momentum"], nesterov=hyper["nesterov"])
    losses, gradients = [], None
    for step in range(hyper["steps"]):
        x, labels = batches[step % len(batches)]
        sgd.zero_grad()
        loss = F.cross_entropy(model(x.to(dtype)), labels)
        loss.backward()
        if step == 0:
            gradients = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
        sgd.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits = model(batches[0][0].to(dtype))
    return losses, gradients, tensors(model.state_dict()), logits


def relative(a, reference):
    """The fixture's measure: largest absolute difference over the reference's largest magnitude."""
    return ((a.double() - reference).abs().max() / reference.abs().max()).item()


def training_case(spec, seed):
    h, w, c = spec["inputShape"]
    model = ResNet(spec["model"]["arch"], spec["model"]["width"], spec["model"]["stem"], spec["inputShape"], spec["numClasses"])
    torch.manual_seed(seed)  # after construction, whose default init draws are all replaced
    initialise(model)
    init = {k: v.clone() for k, v in tensors(model.state_dict()).items()}
    batches = []
    for _ in range(2):
        x = torch.randn(BATCH, c, h, w)
        labels = torch.randint(0, spec["numClasses"], (BATCH,))
        batches.append((x, labels))
    float32_model = ResNet(spec["model"]["arch"], spec["model"]["width"], spec["model"]["stem"], spec["inputShape"], spec["numClasses"])
    float32_model.load_state_dict(model.state_dict())
    loss64, grad64, final64, logits64 = train(model, batches, spec["hyper"], torch.float64)
    loss32, grad32, final32, logits32 = train(float32_model, batches, spec["hyper"], torch.float32)
    hyper = {**spec["hyper"], "bnMomentumTorch": BN_MOMENTUM, "bnEpsilon": BN_EPSILON}
    hyper = {k: hyper[k] for k in ["lr", "momentum", "nesterov", "weightDecay", "decayNormAndBias", "bnMomentumTorch", "bnEpsilon", "steps"]}
    hyper["batchOrder"] = "step i uses batches[i % 2]"
    return {
        "name": spec["name"],
        "kind": "training",
        "model": spec["model"],
        "inputShape": spec["inputShape"],
        "numClasses": spec["numClasses"],
        "hyper": hyper,
        "batches": [{"xNHWC": x.permute(0, 2, 3, 1).tolist(), "labels": labels.tolist()} for x, labels in batches],
        "init": {k: to_tfjs(v).tolist() for k, v in init.items()},
        "lossPerStep": loss64,
        "gradientsAtStep0": {k: to_tfjs(v).tolist() for k, v in grad64.items()},
        "final": {k: to_tfjs(v).tolist() for k, v in final64.items()},
        "evalLogitsOnBatch0AfterTraining": logits64.tolist(),
        "torchFloat32Error": {
            "lossPerStep": [abs(a - e) / abs(e) for a, e in zip(loss32, loss64)],
            "logits": relative(logits32, logits64),
            "final": {k: relative(final32[k], v) for k, v in final64.items()},
            "gradientsAtStep0": {k: relative(grad32[k], v) for k, v in grad64.items()},
        },
    }


def crop_case(shape, seed):
    h, w, c = shape
    torch.manual_seed(seed)
    image = torch.randint(0, 256, (c, h, w), dtype=torch.uint8)
    torch.manual_seed(seed)
    windows = [(*T.RandomResizedCrop.get_params(image, (0.08, 1.0), (3 / 4, 4 / 3)), i % 3 == 0) for i in range(12)]
    windows += [(0, 0, h, w, False), (0, 0, 2, 2, False), (h - 3, w - 5, 3, 5, True), (1, 2, h - 1, w - 2, False)]
    out = []
    for top, left, height, width, flip in windows:
        resized = TF.resized_crop(image.float(), top, left, height, width, [h, w], interpolation=T.InterpolationMode.BILINEAR, antialias=False)
        if flip:
            resized = TF.hflip(resized)
        out.append({"top": top, "left": left, "height": height, "width": width, "flip": flip, "outputHWC": resized.permute(1, 2, 0).tolist()})
    return {"name": f"resized-crop-{h}x{w}x{c}", "kind": "resized-crop", "imageHWC": image.permute(1, 2, 0).tolist(), "windows": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: float32 sums in one order, whatever the machine
    cases = [training_case(spec, args.seed + i + 1) for i, spec in enumerate(TRAINING_CASES)]
    cases += [crop_case(shape, args.seed + len(TRAINING_CASES) + i + 1) for i, shape in enumerate(CROP_CASES)]
    about = ABOUT.format(torch=torch.__version__, vision=torchvision.__version__, seed=args.seed)
    with open(args.out, "w") as f:
        json.dump({"about": about, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
