"""PyTorch eager on the same GPU: torchvision's ResNet-50 (10 classes, as the bench's generated data), 224 px, SGD with
momentum 0.9 and weight decay 5e-4 as the engine's bench config; ms per step and images/s after one warm-up step, and
the fraction of fp32 peak from the step's FLOPs (3 x forward, counted from the convolutions and the classifier)."""
import sys, time
import torch, torchvision

batch, steps = int(sys.argv[1]), int(sys.argv[2])
device = torch.device('cuda')
model = torchvision.models.resnet50(num_classes=10).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
x = torch.randn(batch, 3, 224, 224, device=device)
y = torch.randint(0, 10, (batch,), device=device)
torch.backends.cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

def step():
    optimizer.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()

step(); torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(steps): step()
torch.cuda.synchronize()
ms = (time.perf_counter() - t0) * 1000 / steps

flops = 0
def count(module, inputs, output):
    global flops
    if isinstance(module, torch.nn.Conv2d):
        flops += 2 * output.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
    elif isinstance(module, torch.nn.Linear):
        flops += 2 * output.numel() * module.in_features
hooks = [m.register_forward_hook(count) for m in model.modules()]
with torch.no_grad(): model(x)
for h in hooks: h.remove()
print(f'pytorch eager fp32 (no TF32) {torch.cuda.get_device_name()}: {ms:.1f} ms/step, {1000 * batch / ms:.1f} images/s, '
      f'{3 * flops / (ms / 1000) / 1e12:.1f} TFLOP/s of the step (3x forward FLOPs)')
