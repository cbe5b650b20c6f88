import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/study/config';
import {
  buildArchitecture,
  convOutputSize,
  countParameters,
  finalFeatureShape,
  parameterSpecs,
  resolveStem,
  summarize,
  type ArchitectureSpec,
  type InputShape,
} from '../../src/model/architecture';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function model(arch: ModelConfig['arch'], width = 1, stem: ModelConfig['stem'] = 'auto'): ModelConfig {
  return { arch, width, stem };
}

function build(arch: ModelConfig['arch'], input: InputShape, classes: number, width = 1, stem: ModelConfig['stem'] = 'auto'): ArchitectureSpec {
  return buildArchitecture(model(arch, width, stem), input, classes);
}

describe('parameter counts', () => {
  it('match torchvision for the ImageNet ResNets', () => {
    expect(countParameters(build('resnet50', [224, 224, 3], 1000))).toBe(25_557_032);
    expect(countParameters(build('resnet50', [224, 224, 3], 10))).toBe(23_528_522);
    expect(countParameters(build('resnet18', [224, 224, 3], 1000))).toBe(11_689_512);
    expect(countParameters(build('resnet34', [224, 224, 3], 1000))).toBe(21_797_672);
  });

  it('match He et al. for the CIFAR ResNets with option-A shortcuts (0.27M / 0.46M / 0.85M)', () => {
    expect(countParameters(build('resnet20', [32, 32, 3], 10))).toBe(269_722);
    expect(countParameters(build('resnet32', [32, 32, 3], 10))).toBe(464_154);
    expect(countParameters(build('resnet56', [32, 32, 3], 10))).toBe(853_018);
  });

  it('give the usual CIFAR ResNet-18 (3x3 stem, no max-pool) its 11,173,962', () => {
    expect(countParameters(build('resnet18', [32, 32, 3], 10))).toBe(11_173_962);
  });

  it('equal the sum of the summary rows and of the parameter shapes', () => {
    for (const spec of [build('resnet50', [224, 224, 3], 1000), build('resnet20', [32, 32, 3], 10), build('resnet34', [40, 48, 1], 7, 0.3)]) {
      const fromRows = summarize(spec).reduce((s, r) => s + r.params, 0);
      expect(fromRows).toBe(countParameters(spec));
    }
  });
});

describe('width multiplier', () => {
  const r = Math.round;

  it('resnet18 at width 0.3 matches a hand-derived count (channels 19, 38, 77, 154)', () => {
    const w = 0.3;
    const K = 10;
    const c = [r(64 * w), r(128 * w), r(256 * w), r(512 * w)];
    expect(c).toEqual([19, 38, 77, 154]);
    const [c1, c2, c3, c4] = c as [number, number, number, number];
    // stem: 7x7 conv from 3 channels + BN (2 per channel)
    let expected = 49 * 3 * c1 + 2 * c1;
    // layer1: 2 blocks x 2 (3x3 conv c1->c1 + BN)
    expected += 4 * (9 * c1 * c1 + 2 * c1);
    // layers 2-4: first block 3x3 cin->c, 3x3 c->c, 1x1 downsample cin->c, three BNs; second block two 3x3 c->c + two BNs
    for (const [cin, cout] of [
      [c1, c2],
      [c2, c3],
      [c3, c4],
    ] as const) {
      expected += 9 * cin * cout + 9 * cout * cout + cin * cout + 3 * 2 * cout;
      expected += 2 * (9 * cout * cout + 2 * cout);
    }
    expected += c4 * K + K;
    // worked out on paper: 2831 + 13148 + 46588 + 190113 + 760452 + 1550
    expect(expected).toBe(1_014_682);
    expect(countParameters(build('resnet18', [224, 224, 3], K, w))).toBe(expected);
  });

  it('resnet50 at width 0.3 scales every channel count on its own (round(256*0.3) = 77, not 4*19)', () => {
    const w = 0.3;
    const K = 1000;
    const depths = [3, 4, 6, 3];
    const bases = [64, 128, 256, 512];
    const stem = r(64 * w);
    let expected = 49 * 3 * stem + 2 * stem;
    let cin = stem;
    bases.forEach((base, stage) => {
      const m = r(base * w);
      const o = r(4 * base * w);
      for (let i = 0; i < depths[stage]!; i++) {
        // 1x1 in->m, 3x3 m->m, 1x1 m->o, BNs on m, m, o
        expected += cin * m + 9 * m * m + m * o + 2 * (m + m + o);
        // every first block changes channels, so it has a projection shortcut
        if (i === 0) expected += cin * o + 2 * o;
        cin = o;
      }
    });
    expected += cin * K + K;
    const spec = build('resnet50', [224, 224, 3], K, w);
    expect(spec.blocks[0]!.outChannels).toBe(77);
    expect(countParameters(spec)).toBe(expected);
  });

  it('resnet20 at width 0.5: 8/16/32 channels, option-A shortcuts stay parameter-free', () => {
    const K = 10;
    const [a, b, c] = [8, 16, 32];
    const expected =
      9 * 3 * a + 2 * a + // stem
      6 * (9 * a * a + 2 * a) + // stage 1: 6 convs a->a
      (9 * a * b + 2 * b) + 5 * (9 * b * b + 2 * b) + // stage 2
      (9 * b * c + 2 * c) + 5 * (9 * c * c + 2 * c) + // stage 3
      c * K + K;
    expect(countParameters(build('resnet20', [32, 32, 3], K, 0.5))).toBe(expected);
  });

  it('keeps at least one channel', () => {
    const spec = build('resnet20', [32, 32, 3], 10, 0.01);
    expect(spec.blocks.map((b) => b.outChannels)).toEqual(Array(9).fill(1));
    expect(spec.blocks[3]!.shortcut).toEqual({ kind: 'zero-pad', stride: 2, extraChannels: 0 });
  });
});

describe('stem', () => {
  it("'auto' picks the small stem below 64 px and the ImageNet stem from 64 px", () => {
    expect(resolveStem(model('resnet18'), [63, 200, 3])).toBe('small');
    expect(resolveStem(model('resnet18'), [64, 64, 3])).toBe('imagenet');
    const small = build('resnet18', [32, 32, 3], 10);
    expect(small.stem.conv).toMatchObject({ kernel: 3, stride: 1, padding: 1 });
    expect(small.stem.maxPool).toBe(false);
    const big = build('resnet50', [64, 64, 3], 10);
    expect(big.stem.conv).toMatchObject({ kernel: 7, stride: 2, padding: 3 });
    expect(big.stem.maxPool).toBe(true);
  });

  it('honours an explicit stem and ignores it for the CIFAR family', () => {
    expect(build('resnet18', [32, 32, 3], 10, 1, 'imagenet').stem.conv.kernel).toBe(7);
    expect(build('resnet18', [224, 224, 3], 10, 1, 'small').stem.maxPool).toBe(false);
    const cifar = build('resnet20', [224, 224, 3], 10, 1, 'imagenet');
    expect(resolveStem(model('resnet20', 1, 'imagenet'), [224, 224, 3])).toBe('cifar');
    expect(cifar.stem.conv).toMatchObject({ kernel: 3, stride: 1, padding: 1, outChannels: 16 });
    expect(cifar.stem.maxPool).toBe(false);
  });
});

describe('shapes', () => {
  it('end on the expected last feature map', () => {
    expect(finalFeatureShape(build('resnet50', [224, 224, 3], 1000))).toEqual([7, 7, 2048]);
    expect(finalFeatureShape(build('resnet18', [224, 224, 3], 1000))).toEqual([7, 7, 512]);
    expect(finalFeatureShape(build('resnet20', [32, 32, 3], 10))).toEqual([8, 8, 64]);
    expect(finalFeatureShape(build('resnet18', [32, 32, 3], 10))).toEqual([4, 4, 512]);
    // odd, non-square: 225 -> 113 -> 57 -> 57 -> 29 -> 15 -> 8; 199 -> 100 -> 50 -> 50 -> 25 -> 13 -> 7
    expect(finalFeatureShape(build('resnet18', [225, 199, 3], 10))).toEqual([8, 7, 512]);
    const rows = summarize(build('resnet50', [224, 224, 3], 1000));
    expect(rows.at(-1)).toEqual({ name: 'fc', kind: 'fc', outputShape: [1000], params: 2048 * 1000 + 1000 });
    expect(rows.find((r) => r.name === 'maxpool')?.outputShape).toEqual([56, 56, 64]);
  });

  it('take 1-channel input (Fashion-MNIST)', () => {
    const r20 = build('resnet20', [28, 28, 1], 10);
    expect(r20.stem.conv.inChannels).toBe(1);
    expect(parameterSpecs(r20)[0]).toEqual({ name: 'conv1.weight', role: 'conv-kernel', shape: [3, 3, 1, 16], fanIn: 9, fanOut: 144 });
    expect(countParameters(r20)).toBe(269_722 - 9 * 2 * 16);
    expect(finalFeatureShape(r20)).toEqual([7, 7, 64]);
    const r18 = build('resnet18', [28, 28, 1], 10);
    expect(resolveStem(model('resnet18'), [28, 28, 1])).toBe('small');
    expect(finalFeatureShape(r18)).toEqual([4, 4, 512]);
  });

  it('refuse an input that shrinks to nothing, or no input at all', () => {
    expect(() => convOutputSize(2, 7, 2, 0, 'conv1')).toThrow(/conv1 .*shrinks a 2-pixel side to nothing/);
    expect(() => build('resnet18', [0, 32, 3], 10)).toThrow(/input height must be a positive integer/);
    expect(() => build('resnet18', [32, 32, 3], 0)).toThrow(/number of classes/);
    expect(() => build('resnet18', [32.5, 32, 3], 10)).toThrow(/input height/);
    // the padded ResNet layers never reach zero from a positive size: 1x1 stays 1x1
    expect(finalFeatureShape(build('resnet50', [1, 1, 3], 10))).toEqual([1, 1, 2048]);
  });
});

describe('structure and names', () => {
  it('follows the torchvision state_dict naming and order', () => {
    const names = parameterSpecs(build('resnet50', [224, 224, 3], 1000)).map((p) => p.name);
    expect(names.slice(0, 6)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'layer1.0.conv1.weight',
      'layer1.0.bn1.weight',
      'layer1.0.bn1.bias',
    ]);
    expect(names).toContain('layer1.0.downsample.0.weight');
    expect(names).toContain('layer1.0.downsample.1.bias');
    expect(names.indexOf('layer1.0.downsample.0.weight')).toBe(names.indexOf('layer1.0.bn3.bias') + 1);
    expect(names).not.toContain('layer1.1.downsample.0.weight');
    expect(names.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    // torchvision resnet50 has 161 trainable tensors
    expect(names).toHaveLength(161);
    // resnet18: no downsample in layer1 (64 -> 64), one in each later stage; 62 tensors
    const r18 = parameterSpecs(build('resnet18', [224, 224, 3], 1000)).map((p) => p.name);
    expect(r18.filter((n) => n.includes('downsample.0'))).toEqual([
      'layer2.0.downsample.0.weight',
      'layer3.0.downsample.0.weight',
      'layer4.0.downsample.0.weight',
    ]);
    expect(r18).toHaveLength(62);
  });

  it('has unique parameter names for every architecture', () => {
    for (const arch of ['resnet18', 'resnet34', 'resnet50', 'resnet20', 'resnet32', 'resnet56'] as const) {
      const names = parameterSpecs(build(arch, [32, 32, 3], 10)).map((p) => p.name);
      expect(new Set(names).size).toBe(names.length);
      const layerNames = summarize(build(arch, [32, 32, 3], 10)).map((r) => r.name);
      expect(new Set(layerNames).size).toBe(layerNames.length);
    }
  });

  it('uses tfjs layouts and torch fans', () => {
    const params = parameterSpecs(build('resnet50', [224, 224, 3], 1000));
    const byName = new Map(params.map((p) => [p.name, p]));
    expect(byName.get('layer2.0.conv2.weight')).toEqual({ name: 'layer2.0.conv2.weight', role: 'conv-kernel', shape: [3, 3, 128, 128], fanIn: 1152, fanOut: 1152 });
    expect(byName.get('layer2.0.downsample.0.weight')).toMatchObject({ shape: [1, 1, 256, 512], fanIn: 256, fanOut: 512 });
    expect(byName.get('conv1.weight')).toMatchObject({ shape: [7, 7, 3, 64], fanIn: 147, fanOut: 3136 });
    expect(byName.get('bn1.weight')).toMatchObject({ role: 'bn-gamma', shape: [64] });
    expect(byName.get('bn1.bias')).toMatchObject({ role: 'bn-beta', shape: [64] });
    expect(byName.get('fc.weight')).toMatchObject({ role: 'fc-kernel', shape: [2048, 1000], fanIn: 2048, fanOut: 1000 });
    expect(byName.get('fc.bias')).toMatchObject({ role: 'fc-bias', shape: [1000], fanIn: 2048 });
  });

  it('puts the stride on the 3x3 conv of a bottleneck and uses option A in the CIFAR family', () => {
    const r50 = build('resnet50', [224, 224, 3], 1000);
    const b = r50.blocks.find((x) => x.name === 'layer3.0')!;
    expect(b.layers.map((l) => l.conv.stride)).toEqual([1, 2, 1]);
    expect(b.shortcut).toMatchObject({ kind: 'projection', conv: { kernel: 1, stride: 2, inChannels: 512, outChannels: 1024 } });
    const r20 = build('resnet20', [32, 32, 3], 10);
    expect(r20.blocks.map((x) => x.shortcut.kind)).toEqual([
      ...Array(3).fill('identity'),
      'zero-pad',
      'identity',
      'identity',
      'zero-pad',
      'identity',
      'identity',
    ]);
    expect(r20.blocks[6]!.shortcut).toEqual({ kind: 'zero-pad', stride: 2, extraChannels: 32 });
  });
});

describe('CLI', () => {
  function cli(...args: string[]) {
    return spawnSync('npx', ['tsx', 'src/cli/model.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  }

  it('prints the table and ends with the exact params line', { timeout: 60_000 }, () => {
    const run = cli('--arch', 'resnet50', '--classes', '1000', '--input', '224,224,3');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('params: 25557032');
    expect(lines.some((l) => /^layer4\.2\s+add\s+7x7x2048\s+0$/.test(l))).toBe(true);
    const r20 = cli('--arch', 'resnet20', '--classes', '10', '--input', '32,32,3', '--width', '1', '--stem', 'auto');
    expect(r20.stdout.trimEnd().split('\n').at(-1)).toBe('params: 269722');
  });

  it('exits 2 with a clear message on bad arguments', { timeout: 60_000 }, () => {
    const badArch = cli('--arch', 'resnet99', '--classes', '10', '--input', '32,32,3');
    expect(badArch.status).toBe(2);
    expect(badArch.stderr).toMatch(/arch/);
    const badInput = cli('--arch', 'resnet18', '--classes', '10', '--input', '32x32');
    expect(badInput.status).toBe(2);
    expect(badInput.stderr).toMatch(/--input must be height,width,channels/);
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: /);
  });
});
