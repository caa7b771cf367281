import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The renderer is a plain web page: built once, loaded by Electron (cusp://) and by `cusp serve`.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'esnext',
    rolldownOptions: {
      // The app, and a page with only the viewer (browser tests, trying the viewer without data).
      input: { main: resolve(import.meta.dirname, 'renderer/index.html'), viewer: resolve(import.meta.dirname, 'renderer/viewer/harness.html') },
    },
  },
  // Cornerstone 5.14 under Vite (../shared/TOOLCHAIN.md): its DICOM loader is pre-bundled (not
  // excluded) with dicom-parser and the codec entry points; decode workers are ES modules.
  optimizeDeps: {
    include: [
      'dicom-parser',
      '@cornerstonejs/codec-charls/decodewasmjs',
      '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
      '@cornerstonejs/codec-libjxl/decodewasmjs',
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-openjph/wasmjs',
    ],
  },
  worker: { format: 'es' },
});
