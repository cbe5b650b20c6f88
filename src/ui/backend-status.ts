/** Which backend trains: WebGPU and its adapter, or a warning that says why not and what to do. */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BackendState } from '../app/state';
import type { BackendReport } from '../engine/backend';
import { panelStyles } from './styles';

const BACKEND_NAMES: Record<BackendReport['backend'], string> = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'the CPU' };

@customElement('cw-backend-status')
export class BackendStatus extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .line {
        display: flex;
        align-items: baseline;
        gap: 0.6rem;
        flex-wrap: wrap;
        margin: 0;
      }
      .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--cw-muted, #5b6578);
        align-self: center;
      }
      .dot.ok {
        background: #1f9d55;
      }
      .dot.warn {
        background: #d89b00;
      }
      .dot.bad {
        background: #c62828;
      }
      strong {
        font-weight: 600;
      }
      ul {
        margin: 0.3rem 0;
        padding-left: 1.2rem;
      }
    `,
  ];

  @property({ attribute: false }) backend: BackendState = { status: 'starting' };

  override render() {
    const { backend } = this;
    switch (backend.status) {
      case 'starting':
        return html`<section>
          <p class="line" data-testid="backend-status"><span class="dot"></span>Starting the engine worker and its GPU backend…</p>
        </section>`;
      case 'failed':
        return html`<section>
          <p class="line" data-testid="backend-status"><span class="dot bad"></span><strong>The engine could not start.</strong></p>
          <div class="alert error" role="alert" data-testid="backend-error">
            No backend is available, so nothing can be trained in this browser.
            <pre>${backend.message}</pre>
          </div>
        </section>`;
      case 'ready':
        return this.renderReport(backend.report);
      case 'lost':
        return html`<section>
          <p class="line" data-testid="backend-status"><span class="dot bad"></span><strong>The GPU was lost.</strong></p>
          <div class="alert error" role="alert" data-testid="device-lost">
            <strong>${BACKEND_NAMES[backend.report.backend]} lost its GPU device: ${backend.reason}.</strong>
            <p>
              This happens when the graphics driver resets, the GPU process crashes or the system reclaims the GPU (sleep, another
              program's heavy use). Training has stopped; nothing saved is lost: finished runs are stored and the run in progress keeps
              its last checkpoint (at most 50 steps back). Reload the page to start the engine again, then resume the study. If it keeps
              happening, close other GPU-heavy tabs or choose a smaller model or batch; without a working GPU, Classwise falls back to
              WebGL or the CPU, which train far more slowly.
            </p>
          </div>
        </section>`;
    }
  }

  private renderReport(report: BackendReport) {
    const versions = html`<span class="muted">TensorFlow.js ${report.tfjsVersion}</span>`;
    if (report.backend === 'webgpu') {
      const adapter = report.adapter;
      const name = adapter ? [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') : '';
      const detail = adapter?.description ? html`<span class="muted">${adapter.description}</span>` : nothing;
      return html`<section>
        <p class="line">
          <span class="dot ok"></span>
          <strong data-testid="backend-status">WebGPU — ${name || 'adapter details withheld by the browser'}</strong>
          ${detail} ${adapter?.shaderF16 ? html`<span class="tag">shader-f16</span>` : nothing} ${versions}
        </p>
      </section>`;
    }
    const instead = BACKEND_NAMES[report.backend];
    const webgpu = report.fallbacks.find((f) => f.backend === 'webgpu');
    return html`<section>
      <p class="line">
        <span class="dot warn"></span>
        <strong data-testid="backend-status">Backend: ${instead} (fallback, WebGPU unavailable)</strong> ${versions}
      </p>
      <div class="alert warning" role="alert" data-testid="backend-warning">
        <strong>WebGPU is unavailable${webgpu ? html`: ${webgpu.reason}` : nothing}.</strong>
        ${report.fallbacks.length > 1
          ? html`<ul>
              ${report.fallbacks.map((f) => html`<li>${BACKEND_NAMES[f.backend]}: ${f.reason}</li>`)}
            </ul>`
          : nothing}
        <p>
          Training runs on ${instead} instead, which is many times slower than a GPU through WebGPU. To train on your GPU, open
          Classwise in a browser with WebGPU, such as a current Chrome or Edge, and make sure WebGPU is enabled (not turned off by a
          flag or policy, and the GPU not blocklisted). Otherwise you can still run studies here, but expect slow training.
        </p>
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-backend-status': BackendStatus;
  }
}
