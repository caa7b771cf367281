import { Enums as CoreEnums, RenderingEngine, imageLoader, type Types } from '@cornerstonejs/core';
import {
  Enums as ToolEnums,
  PanTool,
  SynchronizerManager,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  synchronizers,
} from '@cornerstonejs/tools';
import { useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { calibrationFromRecord } from '../calibration.js';
import { imageIdFor, registerImage, type DisplayVariant } from '../cusp-loader.js';
import { setupCornerstone } from '../setup.js';
import type { ViewerImage } from '../Viewer.js';
import './compare.css';

export interface CompareViewportsProps {
  /** 2–4 images, oldest first; in slider mode the first is "before", the second "after". */
  images: ViewerImage[];
  /** One caption per image (acquisition date and modality), already translated. */
  captions: string[];
  mode: 'side' | 'slider';
  /** Zoom, pan and window follow from one viewport to the others. */
  linked: boolean;
  /** Slider mode: where the divider is, 0–100 (% of the width from the left). */
  split: number;
  onSplit(split: number): void;
  labels: { divider: string; before: string; after: string };
}

type Status = 'loading' | 'ready' | 'error';

/**
 * 2–4 radiographs in Cornerstone3D stack viewports of one rendering engine, side by side or one
 * over the other with a divider (before/after). Zoom and pan are kept in step by Cornerstone's
 * camera-position synchronizer and the window by its VOI synchronizer; `linked` switches both.
 * Every variant shares one world space (full-resolution pixels, see cusp-loader.ts), so images of
 * the same size line up. Pixels come through the Cusp loader (`/img/…`): each view is audited.
 *
 * Each viewport element carries `data-parallel-scale` and `data-voi` (updated on Cornerstone's
 * camera and VOI events) so the state can be read from outside (tests, support).
 */
export function CompareViewports({ images, captions, mode, linked, split, onSplit, labels }: CompareViewportsProps) {
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const engineId = `cusp-compare-${uid}`;
  const toolGroupId = `cusp-compare-tools-${uid}`;
  const cameraSyncId = `cusp-compare-camera-${uid}`;
  const voiSyncId = `cusp-compare-voi-${uid}`;
  const elements = useRef<Array<HTMLDivElement | null>>([]);
  const box = useRef<HTMLDivElement>(null);
  const engine = useRef<RenderingEngine | null>(null);
  const [status, setStatus] = useState<Status>('loading');
  const linkedRef = useRef(linked);
  linkedRef.current = linked;
  const shown = mode === 'slider' ? images.slice(0, 2) : images;
  const key = `${mode}:${shown.map((i) => i.id).join(',')}`;

  useEffect(() => {
    let cancelled = false;
    setStatus('loading');
    const viewportIds = shown.map((_, i) => `${engineId}-vp${i}`);
    const listeners: Array<() => void> = [];
    (async () => {
      await setupCornerstone();
      if (cancelled) return;
      const rendering = new RenderingEngine(engineId);
      engine.current = rendering;
      rendering.setViewports(
        shown.map((_, i) => ({
          viewportId: viewportIds[i]!,
          type: CoreEnums.ViewportType.STACK,
          element: elements.current[i]!,
          defaultOptions: { background: [0, 0, 0] as Types.Point3 },
        })),
      );
      const group = ToolGroupManager.createToolGroup(toolGroupId)!;
      for (const tool of [WindowLevelTool, ZoomTool, PanTool]) group.addTool(tool.toolName);
      group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }, { mouseButton: ToolEnums.MouseBindings.Wheel }] });
      group.setToolActive(PanTool.toolName, {
        bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }, { mouseButton: ToolEnums.MouseBindings.Primary, modifierKey: ToolEnums.KeyboardBindings.Shift }],
      });
      for (const id of viewportIds) group.addViewport(id, engineId);

      await Promise.all(
        shown.map(async (image, i) => {
          registerImage({ id: image.id, rows: image.rows, columns: image.columns, modality: image.modality, calibration: calibrationFromRecord(image), window: image.window, thumb200: image.thumb200 });
          const variant: DisplayVariant = image.variants.includes('view') ? 'view' : image.variants.includes('preview') ? 'preview' : 'master';
          const imageId = imageIdFor(image.id, variant);
          await imageLoader.loadAndCacheImage(imageId);
          if (cancelled) return;
          const vp = rendering.getViewport(viewportIds[i]!) as Types.IStackViewport;
          await vp.setStack([imageId]);
          vp.render();
        }),
      );
      if (cancelled) return;

      // Report each viewport's camera and window on its element.
      shown.forEach((_, i) => {
        const element = elements.current[i]!;
        const vp = rendering.getViewport(viewportIds[i]!) as Types.IStackViewport;
        const publish = () => {
          element.dataset.parallelScale = String(vp.getCamera().parallelScale ?? '');
          const voi = vp.getProperties().voiRange;
          element.dataset.voi = voi ? `${voi.lower},${voi.upper}` : '';
        };
        publish();
        element.addEventListener(CoreEnums.Events.CAMERA_MODIFIED, publish);
        element.addEventListener(CoreEnums.Events.VOI_MODIFIED, publish);
        listeners.push(() => {
          element.removeEventListener(CoreEnums.Events.CAMERA_MODIFIED, publish);
          element.removeEventListener(CoreEnums.Events.VOI_MODIFIED, publish);
        });
      });

      const camera = synchronizers.createCameraPositionSynchronizer(cameraSyncId);
      const voi = synchronizers.createVOISynchronizer(voiSyncId, { syncInvertState: false, syncColormap: false });
      for (const viewportId of viewportIds) {
        camera.add({ renderingEngineId: engineId, viewportId });
        voi.add({ renderingEngineId: engineId, viewportId });
      }
      camera.setEnabled(linkedRef.current);
      voi.setEnabled(linkedRef.current);
      setStatus('ready');
    })().catch(() => {
      if (!cancelled) setStatus('error');
    });

    return () => {
      cancelled = true;
      for (const remove of listeners) remove();
      SynchronizerManager.destroySynchronizer(cameraSyncId);
      SynchronizerManager.destroySynchronizer(voiSyncId);
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine.current?.destroy();
      engine.current = null;
    };
    // The shown images and the mode drive the engine; the rest is read through refs.
  }, [key, engineId, toolGroupId, cameraSyncId, voiSyncId]);

  // Link or unlink without rebuilding anything.
  useEffect(() => {
    SynchronizerManager.getSynchronizer(cameraSyncId)?.setEnabled(linked);
    SynchronizerManager.getSynchronizer(voiSyncId)?.setEnabled(linked);
  }, [linked, status, cameraSyncId, voiSyncId]);

  // Keep the canvases the size of their boxes.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => engine.current?.resize(true, true));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const dragging = useRef(false);
  const splitFrom = (clientX: number) => {
    const rect = box.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return;
    onSplit(Math.round(Math.min(100, Math.max(0, ((clientX - rect.left) / rect.width) * 100))));
  };
  const onDividerKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const steps: Record<string, number> = { ArrowLeft: -2, ArrowDown: -2, ArrowRight: 2, ArrowUp: 2, PageDown: -10, PageUp: 10 };
    let next: number | null = null;
    if (event.key in steps) next = split + steps[event.key]!;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = 100;
    if (next === null) return;
    event.preventDefault();
    onSplit(Math.min(100, Math.max(0, next)));
  };

  return (
    <div ref={box} className={`compare-viewports compare-${mode}`} data-count={shown.length} data-state={status} data-linked={linked ? 'true' : 'false'}>
      {shown.map((image, i) => (
        <figure
          key={image.id}
          className="compare-cell"
          data-image-id={image.id}
          style={mode === 'slider' && i === 1 ? { clipPath: `inset(0 0 0 ${split}%)` } : undefined}
        >
          <div
            className="compare-viewport"
            ref={(el) => {
              elements.current[i] = el;
            }}
            onContextMenu={(event) => event.preventDefault()}
          />
          <figcaption className={mode === 'slider' ? (i === 0 ? 'compare-caption before' : 'compare-caption after') : 'compare-caption'}>
            {mode === 'slider' ? `${i === 0 ? labels.before : labels.after} · ` : ''}
            {captions[images.indexOf(image)]}
          </figcaption>
        </figure>
      ))}
      {mode === 'slider' && (
        <div className="compare-divider" style={{ left: `${split}%` }}>
          <div
            className="compare-handle"
            role="slider"
            tabIndex={0}
            aria-label={labels.divider}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={split}
            aria-orientation="horizontal"
            onKeyDown={onDividerKey}
            onPointerDown={(event: PointerEvent<HTMLDivElement>) => {
              dragging.current = true;
              event.currentTarget.setPointerCapture(event.pointerId);
            }}
            onPointerMove={(event) => dragging.current && splitFrom(event.clientX)}
            onPointerUp={(event) => {
              dragging.current = false;
              event.currentTarget.releasePointerCapture(event.pointerId);
            }}
          />
        </div>
      )}
    </div>
  );
}
