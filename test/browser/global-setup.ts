/** One Vite server for the whole browser suite; each test file launches its own Chromium. */
import type { TestProject } from 'vitest/node';
import { serverUrl, startServer } from '../../src/cli/browser';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startServer(process.cwd());
  project.provide('baseUrl', serverUrl(server));
  return () => server.close();
}
