import { getRenderingEngine, type Types } from '@cornerstonejs/core';
import { annotation } from '@cornerstonejs/tools';
import { StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { Viewer, type ViewerImage } from './Viewer.js';

/**
 * A page with one viewer and nothing else (`/viewer/harness.html`), for browser tests and for
 * trying the viewer without a patient database. Images come from the same `/img/` route; the
 * image record the shell would get from the contract is handed in by `open()`.
 */
declare global {
  interface Window {
    cuspViewerHarness: typeof harness;
  }
}

let root: Root | null = null;
const savedCalibrations: Array<number | null> = [];

function viewport(): Types.IStackViewport {
  const section = document.querySelector<HTMLElement>('.cusp-viewer');
  const engine = section?.dataset.engineId && getRenderingEngine(section.dataset.engineId);
  const vp = engine && section?.dataset.viewportId ? engine.getViewport(section.dataset.viewportId) : undefined;
  if (!vp) throw new Error('No viewer on the page');
  return vp as Types.IStackViewport;
}

const harness = {
  open(image: ViewerImage, language = 'en') {
    root ??= createRoot(document.getElementById('root')!);
    root.render(
      <StrictMode>
        <Viewer key={image.id} image={image} language={language} onCalibrate={(mmPerPx) => void savedCalibrations.push(mmPerPx)} />
      </StrictMode>,
    );
  },
  /** Page coordinates of a full-resolution image pixel (column, row), for mouse events. */
  pixelToPage(column: number, row: number): [number, number] {
    const vp = viewport();
    const [x, y] = vp.worldToCanvas([column, row, 0]);
    const rect = vp.canvas.getBoundingClientRect();
    return [rect.left + x, rect.top + y];
  },
  /** Centres full-resolution pixel (column, row) at `scale` screen pixels per image pixel. */
  focus(column: number, row: number, scale: number): void {
    const vp = viewport();
    const { position = [0, 0, 1], focalPoint = [0, 0, 0] } = vp.getCamera();
    const target: Types.Point3 = [column, row, 0];
    vp.setCamera({
      parallelScale: vp.canvas.clientHeight / (2 * scale),
      focalPoint: target,
      position: [column + position[0] - focalPoint[0], row + position[1] - focalPoint[1], position[2] - focalPoint[2]],
    });
    vp.render();
  },
  /** Cornerstone's own view of the lengths: value and unit per Length annotation. */
  cornerstoneLengths(): Array<{ length: number; unit: string }> {
    const current = viewport().getCurrentImageId();
    return annotation.state.getAllAnnotations().filter((a) => a.metadata?.toolName === 'Length' && a.metadata.referencedImageId === current).flatMap((a) =>
      Object.values((a.data as { cachedStats?: Record<string, { length: number; unit: string }> }).cachedStats ?? {}).map((s) => ({ length: s.length, unit: s.unit })),
    );
  },
  /** Cornerstone's cached statistics of one tool's drawings on the shown image (area, areaUnit, …). */
  cornerstoneStats(toolName: string): Array<Record<string, unknown>> {
    const current = viewport().getCurrentImageId();
    return annotation.state
      .getAllAnnotations()
      .filter((a) => a.metadata?.toolName === toolName && a.metadata.referencedImageId === current)
      .flatMap((a) => Object.values((a.data as { cachedStats?: Record<string, Record<string, unknown>> }).cachedStats ?? {}));
  },
  /** The texts of arrow annotations on the shown image. */
  arrowTexts(): string[] {
    const current = viewport().getCurrentImageId();
    return annotation.state
      .getAllAnnotations()
      .filter((a) => a.metadata?.toolName === 'ArrowAnnotate' && a.metadata.referencedImageId === current)
      .map((a) => String((a.data as { label?: string }).label ?? ''));
  },
  voiRange() {
    return viewport().getProperties().voiRange;
  },
  savedCalibrations,
  performanceMarks(): string[] {
    return performance.getEntriesByType('mark').map((m) => m.name);
  },
};

window.cuspViewerHarness = harness;
