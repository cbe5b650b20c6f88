/**
 * A trained run as a TensorFlow.js Layers model: model.json plus one weights
 * file, loadable anywhere with `tf.loadLayersModel`.
 *
 * The engine's network is plain functions over named variables (resnet.ts),
 * which tfjs cannot serialise; here the same network is rebuilt from its
 * ArchitectureSpec out of built-in, serialisable layers only, and the trained
 * parameters and BatchNorm statistics are loaded into it. Where a Keras layer's
 * semantics differ from the engine's (torch's), the construction says how it
 * is made to agree.
 *
 * The exported model takes NHWC float32 pixels in [0, 255], exactly the
 * dataset's uint8 values: its first layer is the per-channel normalisation
 * the engine's BatchLoader applies, so users need not know the training
 * set's statistics. It outputs logits (no softmax), in class order.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChannelStatistics } from '../data/dataset';
import type { ArchitectureSpec, BatchNormSpec, ConvSpec } from '../model/architecture';
import type { SavedTensor } from '../training/checkpoint';
import { BN_EPSILON } from './layers';

export const EXPORT_FORMAT = 'classwise.model/1';

/** The run asked for has no trained model to export; the message says why and what to do. */
export class ModelNotExportable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotExportable';
  }
}

/** What is written into model.json's `userDefinedMetadata`. */
export interface ExportMetadata {
  format: typeof EXPORT_FORMAT;
  arch: ArchitectureSpec['arch'];
  width: number;
  /** `[height, width, channels]` of one image. */
  inputShape: [number, number, number];
  /** The output's columns, in order. */
  classNames: string[];
  configHash: string;
  seed: number;
  /** The training dataset's name. */
  dataset: string;
  input: string;
  output: string;
  /**
   * The per-channel statistics (of pixels scaled to [0, 1]) the model's
   * `normalize` layer applies: x ↦ (x / 255 − mean) / std.
   */
  normalization: { mean: number[]; std: number[] };
}

/** What the caller knows about the run besides its architecture and weights. */
export interface ExportRun {
  classNames: string[];
  configHash: string;
  seed: number;
  dataset: string;
  normalization: ChannelStatistics;
}

export interface ExportedFile {
  name: string;
  type: string;
  data: string | ArrayBuffer;
}

export interface ExportedModel {
  /** The contents of model.json; its weightsManifest names `weightsFileName`. */
  modelJson: string;
  weightsFileName: string;
  weightsBin: ArrayBuffer;
  /** Both files, as they must be saved side by side: `model.json` and the weights. */
  files: ExportedFile[];
  metadata: ExportMetadata;
}

const INPUT_DESCRIPTION =
  'NHWC float32 pixels in [0, 255] (the dataset\'s uint8 values, channels as the dataset stores them), of shape [batch, ...inputShape]; the first layer ("normalize") applies the training normalisation';
const OUTPUT_DESCRIPTION = 'logits [batch, classes] in classNames order (apply softmax for probabilities)';

/** A layer whose weights are set, in the layer's own order, from values the export supplies. */
interface Assignment {
  layer: tf.layers.Layer;
  values: () => tf.Tensor[];
}

type Symbolic = tf.SymbolicTensor;

function apply(layer: tf.layers.Layer, input: Symbolic | Symbolic[]): Symbolic {
  return layer.apply(input) as Symbolic;
}

/**
 * Builds the Layers model for `spec` and says, per layer, which saved tensors
 * fill its weights. `saved` looks a tensor up by its saved name
 * (`param:conv1.weight`, `buffer:bn1.running_mean`).
 */
export function buildLayersModel(
  spec: ArchitectureSpec,
  normalization: ExportRun['normalization'],
  saved: (name: string, shape: number[]) => tf.Tensor,
): { model: tf.LayersModel; assignments: Assignment[] } {
  const assignments: Assignment[] = [];
  const [height, width, channels] = spec.inputShape;
  if (normalization.mean.length !== channels || normalization.std.length !== channels) {
    throw new Error(`the normalisation has ${normalization.mean.length} means and ${normalization.std.length} deviations for ${channels} channels`);
  }

  const input = tf.input({ shape: [height, width, channels], name: 'pixels', dtype: 'float32' });

  // The BatchLoader computes (x − 255·mean) / (255·std); a 1×1 depthwise conv
  // with bias computes the same as x · 1/(255·std) + (−mean/std), per channel.
  const normalize = tf.layers.depthwiseConv2d({ name: 'normalize', kernelSize: 1, depthMultiplier: 1, useBias: true, trainable: false });
  assignments.push({
    layer: normalize,
    values: () => [
      tf.tensor4d(normalization.std.map((s) => 1 / (255 * s)), [1, 1, channels, 1]),
      tf.tensor1d(normalization.mean.map((m, c) => -m / normalization.std[c]!)),
    ],
  });
  let h = apply(normalize, input);

  const conv = (x: Symbolic, c: ConvSpec): Symbolic => {
    // torch pads p on every side. Keras 'same' agrees for stride 1 and
    // p = (k − 1) / 2, but under stride 2 pads only after (bottom/right) when
    // the total is odd, which shifts every window: pad explicitly instead.
    let padding: 'same' | 'valid' = 'valid';
    if (c.padding > 0) {
      if (c.stride === 1 && 2 * c.padding === c.kernel - 1) padding = 'same';
      else x = apply(tf.layers.zeroPadding2d({ name: `${c.name}.pad`, padding: c.padding }), x);
    }
    const layer = tf.layers.conv2d({
      name: c.name,
      filters: c.outChannels,
      kernelSize: c.kernel,
      strides: c.stride,
      padding,
      useBias: false,
      kernelInitializer: 'zeros',
    });
    assignments.push({ layer, values: () => [saved(`param:${c.name}.weight`, [c.kernel, c.kernel, c.inChannels, c.outChannels])] });
    return apply(layer, x);
  };

  const batchNorm = (x: Symbolic, b: BatchNormSpec): Symbolic => {
    // Inference uses the running statistics, as the engine's eval mode does;
    // Keras momentum = 1 − torch momentum only matters for retraining.
    const layer = tf.layers.batchNormalization({ name: b.name, axis: -1, epsilon: BN_EPSILON, momentum: 0.9 });
    const shape = [b.channels];
    assignments.push({
      layer,
      values: () => [
        saved(`param:${b.name}.weight`, shape),
        saved(`param:${b.name}.bias`, shape),
        saved(`buffer:${b.name}.running_mean`, shape),
        saved(`buffer:${b.name}.running_var`, shape),
      ],
    });
    return apply(layer, x);
  };

  const relu = (x: Symbolic, name: string): Symbolic => apply(tf.layers.reLU({ name }), x);

  h = relu(batchNorm(conv(h, spec.stem.conv), spec.stem.bn), 'relu');
  if (spec.stem.maxPool) {
    // torchvision's max-pool pads with −∞; after the ReLU every value is ≥ 0
    // and each 3×3 window holds at least one real pixel, so zeros give the
    // same maxima. (Keras 'same' would again pad on one side only.)
    h = apply(tf.layers.zeroPadding2d({ name: 'maxpool.pad', padding: 1 }), h);
    h = apply(tf.layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2, padding: 'valid' }), h);
  }

  for (const block of spec.blocks) {
    let r = h;
    for (const [i, layer] of block.layers.entries()) {
      r = batchNorm(conv(r, layer.conv), layer.bn);
      if (i < block.layers.length - 1) r = relu(r, `${layer.bn.name}.relu`);
    }
    const s = block.shortcut;
    let shortcut: Symbolic;
    if (s.kind === 'identity') shortcut = h;
    else if (s.kind === 'projection') shortcut = batchNorm(conv(h, s.conv), s.bn);
    else {
      // Option A in one fixed layer: a 1×1 conv of stride s, 'valid', keeps
      // x[:, ::s, ::s, :] (ceil(h/s) rows, as the engine's 1×1 pool), and its
      // kernel copies input channel c to output channel c + before, leaving
      // the others zero. Each output sums one pixel times 1 and zeros: exact.
      const before = Math.floor(s.extraChannels / 2);
      const cin = block.inChannels;
      const cout = cin + s.extraChannels;
      const layer = tf.layers.conv2d({
        name: `${block.name}.shortcut`,
        filters: cout,
        kernelSize: 1,
        strides: s.stride,
        padding: 'valid',
        useBias: false,
        trainable: false,
        kernelInitializer: 'zeros',
      });
      assignments.push({
        layer,
        values: () => {
          const kernel = new Float32Array(cin * cout);
          for (let c = 0; c < cin; c++) kernel[c * cout + c + before] = 1;
          return [tf.tensor4d(kernel, [1, 1, cin, cout])];
        },
      });
      shortcut = apply(layer, h);
    }
    h = relu(apply(tf.layers.add({ name: `${block.name}.add` }), [r, shortcut]), `${block.name}.relu`);
  }

  h = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), h);
  const fc = tf.layers.dense({ name: spec.fc.name, units: spec.fc.outFeatures, useBias: true, kernelInitializer: 'zeros' });
  assignments.push({
    layer: fc,
    values: () => [saved('param:fc.weight', [spec.fc.inFeatures, spec.fc.outFeatures]), saved('param:fc.bias', [spec.fc.outFeatures])],
  });
  const logits = apply(fc, h);

  return { model: tf.model({ inputs: input, outputs: logits, name: `classwise_${spec.arch}` }), assignments };
}

/** File-name-safe base name for a run's weights file. */
export function exportBaseName(spec: ArchitectureSpec, run: Pick<ExportRun, 'configHash' | 'seed'>): string {
  return `classwise-${spec.arch}-${run.configHash.slice(0, 12)}-seed${run.seed}`;
}

/**
 * The trained model as model.json plus weights. `weights` are the run's
 * parameters and BatchNorm statistics as the engine saved them (`param:…`,
 * `buffer:…`); every one must be used, with its shape, or the export is
 * refused: a model of another architecture is not silently half-loaded.
 */
export async function exportTrainedModel(spec: ArchitectureSpec, weights: SavedTensor[], run: ExportRun): Promise<ExportedModel> {
  if (run.classNames.length !== spec.numClasses) {
    throw new Error(`the run has ${run.classNames.length} class names for a model of ${spec.numClasses} classes`);
  }
  const byName = new Map(weights.map((t) => [t.name, t]));
  const used = new Set<string>();
  const saved = (name: string, shape: number[]): tf.Tensor => {
    const t = byName.get(name);
    if (!t) throw new Error(`the trained model has no tensor ${name}`);
    if (t.shape.join('x') !== shape.join('x')) throw new Error(`the trained model's ${name} has shape [${t.shape}], the network needs [${shape}]`);
    used.add(name);
    return tf.tensor(t.data, t.shape, 'float32');
  };

  const { model, assignments } = buildLayersModel(spec, run.normalization, saved);
  try {
    // setWeights copies into the layers' variables; the tensors made here go with the tidy.
    tf.tidy(() => {
      for (const { layer, values } of assignments) layer.setWeights(values());
    });
    const unused = weights.map((t) => t.name).filter((n) => !used.has(n));
    if (unused.length) throw new Error(`the trained model has tensors the network does not use: ${unused.join(', ')}`);

    const metadata: ExportMetadata = {
      format: EXPORT_FORMAT,
      arch: spec.arch,
      width: spec.width,
      inputShape: [...spec.inputShape],
      classNames: [...run.classNames],
      configHash: run.configHash,
      seed: run.seed,
      dataset: run.dataset,
      input: INPUT_DESCRIPTION,
      output: OUTPUT_DESCRIPTION,
      normalization: { mean: [...run.normalization.mean], std: [...run.normalization.std] },
    };
    model.setUserDefinedMetadata(metadata);

    const weightsFileName = `${exportBaseName(spec, run)}.weights.bin`;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('tfjs saved no weights');
    const weightsBin = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    // The layout tf.io.browserDownloads writes: the manifest names the weights
    // file relative to model.json, so the two are loaded side by side.
    const modelJson = JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [`./${weightsFileName}`], weights: artifacts.weightSpecs }],
      userDefinedMetadata: artifacts.userDefinedMetadata,
    });
    return {
      modelJson,
      weightsFileName,
      weightsBin,
      files: [
        { name: 'model.json', type: 'application/json', data: modelJson },
        { name: weightsFileName, type: 'application/octet-stream', data: weightsBin },
      ],
      metadata,
    };
  } finally {
    model.dispose();
  }
}
