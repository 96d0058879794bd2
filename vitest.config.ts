import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Unit tests are pure logic and run in parallel. Integration tests share one real Docker
// engine and one lab at a time, so they run one file after another with long timeouts.
// Renderer tests mount the Svelte views in jsdom against a mocked `window.lab`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 1_800_000,
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        plugins: [svelte()],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.ts'],
          environment: 'jsdom',
          // jsdom renders slowly while integration suites load the same 2 cores in parallel.
          testTimeout: 20_000,
          setupFiles: ['test/renderer/setup.ts'],
        },
      },
    ],
  },
});
