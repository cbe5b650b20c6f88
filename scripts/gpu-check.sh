#!/usr/bin/env bash
# Issue 12, item 5: ResNet-50 at 224 px on a real GPU, Node + Dawn on its Vulkan driver, with the autotuner's kernels
# and with stock tfjs, next to PyTorch eager on the same GPU. The autotuner times, on every convolution shape of the
# step, tfjs's stock kernel, the register-tiled custom kernel and the workgroup-memory tiled variant, keeps the fastest
# per kernel and logs each kernel's choice with the three summed times (the "auto:" line). Two halves:
#   bash scripts/gpu-check.sh bundle   # here: one JS file of the Dawn bench and Dawn's own binary, in .gpu-bundle/ (27 MB)
#   bash scripts/gpu-check.sh run      # on the GPU machine (no network, no node_modules): prints JSON lines and a summary
# Carry .gpu-bundle to the GPU machine (the device tool's carry), then run the second half there with a time limit
# that leaves room to run it again. Batch sizes: BATCHES (default "32 64"); timed steps: STEPS (default 3); the model:
# ARCH and SIZE (default resnet50 and 224; resnet20 at 16 px tries the script on a CPU adapter in a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.gpu-bundle

if [ "${1:-}" = bundle ]; then
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/node_modules"
  npx esbuild src/cli/bench-dawn.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --banner:js="import { createRequire } from 'module'; const require = createRequire(import.meta.url);" \
    --outfile="$BUNDLE/bench-dawn.mjs" --log-level=warning
  cp -r node_modules/webgpu "$BUNDLE/node_modules/"
  rm -rf "$BUNDLE"/node_modules/webgpu/dist/{darwin-universal,linux-arm64,win32-arm64,win32-x64}
  cp scripts/torch_resnet50_step.py "$BUNDLE/"
  du -sh "$BUNDLE"
  exit 0
fi
[ "${1:-}" = run ] || { echo "usage: bash scripts/gpu-check.sh bundle|run" >&2; exit 2; }

date -u +"date: %Y-%m-%dT%H:%M:%SZ"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader 2>/dev/null || true
node --version
for batch in ${BATCHES:-32 64}; do
  for policy in auto stock; do
    if [ "$policy" = stock ]; then arm='"policy":"custom"'; else arm='"policy":"auto"'; fi
    plan="{\"backend\":\"vulkan\",\"models\":[{\"arch\":\"${ARCH:-resnet50}\",\"size\":${SIZE:-224},\"batch\":$batch,\"steps\":${STEPS:-3}}],\"steps\":${STEPS:-3},\"budgetSec\":120,$arm}"
    echo "== dawn vulkan ${ARCH:-resnet50} ${SIZE:-224} px batch $batch, custom arm: $policy (the stock arm runs in both)"
    timeout 400 node "$BUNDLE/bench-dawn.mjs" "$plan" 2>&1 | grep -v '^Warning: max' | tail -c 20000 || echo "failed or timed out"
  done
  if python3 -c 'import torch, torchvision; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== pytorch eager resnet50 224 px batch $batch"
    python3 "$BUNDLE/torch_resnet50_step.py" "$batch" "${STEPS:-3}" || echo "pytorch failed"
  else
    echo "== pytorch eager: no torch with CUDA on this machine"
  fi
done
