/**
 * The Node runtime's options and its one user-facing failure, pure (no tfjs,
 * no Dawn), so the CLIs can check their arguments before loading either.
 */
export const DAWN_BACKENDS = ['vulkan', 'opengles', 'null'] as const;
export type DawnBackend = (typeof DAWN_BACKENDS)[number];
/** What `auto` tries, in order: the backends that compute. */
export const DAWN_AUTO: readonly DawnBackend[] = ['vulkan', 'opengles'];

export class DawnUnavailable extends Error {
  constructor(readonly attempts: { backend: DawnBackend; reason: string }[]) {
    super(
      `no WebGPU adapter could be had from Dawn for Node:\n${attempts.map((a) => `  ${a.backend}: ${a.reason}`).join('\n')}\n` +
        'Vulkan needs a GPU driver or Mesa 25 lavapipe (Debian 12: mesa-vulkan-drivers from bookworm-backports); OpenGL ES needs Mesa EGL (libegl-mesa0, libgl1-mesa-dri). ' +
        'Or run in the browser instead: --runtime browser.',
    );
    this.name = 'DawnUnavailable';
  }
}

export const RUNTIMES = ['browser', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export function parseRuntime(value: string): Runtime {
  if ((RUNTIMES as readonly string[]).includes(value)) return value as Runtime;
  throw new Error(`unknown --runtime "${value}"; use one of ${RUNTIMES.join(', ')}`);
}

export function parseDawnBackend(value: string): DawnBackend | 'auto' {
  if (value === 'auto' || (DAWN_BACKENDS as readonly string[]).includes(value)) return value as DawnBackend | 'auto';
  throw new Error(`unknown --dawn-backend "${value}"; use one of auto, ${DAWN_BACKENDS.join(', ')}`);
}

