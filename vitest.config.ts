import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Disk fixtures are large files made by qemu-img; two workers match the two cores.
    maxWorkers: 2,
  },
});
