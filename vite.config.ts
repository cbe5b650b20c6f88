import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // Two pages: the workbench and the public study page (study.html?id=…), which the coordinator serves from dist/ alike.
    rolldownOptions: { input: { main: fileURLToPath(new URL('index.html', import.meta.url)), study: fileURLToPath(new URL('study.html', import.meta.url)) } },
  },
  server: {
    host: '127.0.0.1',
    // `npm run dev` (which sets CLASSWISE_COORDINATOR) beside `npm run coordinator`: the app reaches the coordinator on
    // its own origin, as under `npm start`.
    proxy: process.env.CLASSWISE_COORDINATOR ? { '/api': process.env.CLASSWISE_COORDINATOR } : undefined,
  },
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // The CLI tests start `npx tsx` (about 3 s each here) while Chromium trains beside them on CI's 2 cores:
          // vitest's 5 s default fails them on load alone.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/browser/global-setup.ts'],
          // One Chromium on SwiftShader already uses both of CI's cores.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
