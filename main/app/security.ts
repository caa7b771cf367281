/**
 * The Content-Security-Policy of every Cusp page, in Electron and under `cusp serve`.
 * - scripts only from the app itself; 'wasm-unsafe-eval' lets the WebAssembly codecs compile;
 * - images and workers from the app, data: and blob: (thumbnails inline, decoded frames);
 * - no plugins, no framing, no form posts, no foreign connections.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
