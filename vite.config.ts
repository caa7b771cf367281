import react from '@vitejs/plugin-react';
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
  },
  worker: { format: 'es' },
});
