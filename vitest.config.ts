import { defineConfig } from 'vitest/config';

// Three tiers, selected with `vitest run --project <name>`; `npm test` runs them all.
// Integration and e2e tests start real servers (simulator, Cosmos server, local host) on loopback,
// so they get longer timeouts and run in separate processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'orchestrations/**/*.ts', 'functions/**/*.ts', 'local/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
