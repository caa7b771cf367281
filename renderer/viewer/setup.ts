import { init as initCore } from '@cornerstonejs/core';
import dicomImageLoader from '@cornerstonejs/dicom-image-loader';
import {
  AngleTool,
  ArrowAnnotateTool,
  EllipticalROITool,
  EraserTool,
  LengthTool,
  PanTool,
  PlanarFreehandROITool,
  ProbeTool,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as initTools,
} from '@cornerstonejs/tools';
import { registerCuspLoader } from './cusp-loader.js';

/** Every Cornerstone tool the viewer offers, registered once per page. */
export const viewerTools = [
  WindowLevelTool,
  ZoomTool,
  PanTool,
  LengthTool,
  AngleTool,
  ArrowAnnotateTool,
  PlanarFreehandROITool,
  EllipticalROITool,
  ProbeTool,
  EraserTool,
] as const;

let ready: Promise<void> | null = null;

/**
 * Cornerstone3D once per page: core, tools, the DICOM loader (its decode workers are ES modules
 * bundled by Vite: `worker.format: 'es'`) and the Cusp loader for derivatives. Idempotent; every
 * viewer awaits the same promise.
 */
export function setupCornerstone(): Promise<void> {
  ready ??= (async () => {
    await initCore();
    initTools();
    // Two cores on a typical chair-side PC: one decode worker keeps the UI responsive.
    dicomImageLoader.init({ maxWebWorkers: Math.max(1, Math.min(2, Math.floor((navigator.hardwareConcurrency || 2) / 2))) });
    registerCuspLoader();
    for (const tool of viewerTools) addTool(tool);
  })();
  return ready;
}
