import { Enums as CoreEnums, RenderingEngine, cache, imageLoader, setVolumesForViewports, volumeLoader, type Types } from '@cornerstonejs/core';
import { Enums as ToolEnums, StackScrollTool, ToolGroupManager, WindowLevelTool, ZoomTool, PanTool, addTool } from '@cornerstonejs/tools';
import { useEffect, useId, useRef, useState } from 'react';
import { imageIdFor } from '../cusp-loader.js';
import { setupCornerstone } from '../setup.js';
import './compare.css';

export interface MprViewportsProps {
  /** The Cusp image ids of one CT series' slices (any order: Cornerstone sorts them by position). */
  imageIds: string[];
  /** Translated names of the three planes. */
  labels: { axial: string; coronal: string; sagittal: string };
}

const planes = ['axial', 'coronal', 'sagittal'] as const;
type Plane = (typeof planes)[number];
const orientation: Record<Plane, CoreEnums.OrientationAxis> = {
  axial: CoreEnums.OrientationAxis.AXIAL,
  coronal: CoreEnums.OrientationAxis.CORONAL,
  sagittal: CoreEnums.OrientationAxis.SAGITTAL,
};

/**
 * A CT (CBCT) series as a volume in three orthographic viewports: axial, coronal and sagittal
 * (multiplanar reconstruction). The slices are the lossless masters (`wadouri:/img/<id>/master`,
 * each fetch audited): their own DICOM headers give positions, orientation and spacing, so the
 * volume is in millimetres (these ids are never registered with the Cusp metadata provider, which
 * would put every slice at the origin). Wheel scrolls through slices, left drag windows, right drag
 * zooms, middle drag pans.
 *
 * Each viewport element carries `data-plane`, `data-slices` (slices along its normal) and
 * `data-slice` once the volume is shown.
 */
export function MprViewports({ imageIds, labels }: MprViewportsProps) {
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const engineId = `cusp-mpr-${uid}`;
  const toolGroupId = `cusp-mpr-tools-${uid}`;
  const volumeId = `cornerstoneStreamingImageVolume:cusp-mpr-${uid}`;
  const elements = useRef<Partial<Record<Plane, HTMLDivElement | null>>>({});
  const box = useRef<HTMLDivElement>(null);
  const engine = useRef<RenderingEngine | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [reason, setReason] = useState('');
  const key = imageIds.join(',');

  useEffect(() => {
    let cancelled = false;
    const listeners: Array<() => void> = [];
    setStatus('loading');
    (async () => {
      await setupCornerstone();
      addTool(StackScrollTool);
      const ids = imageIds.map((id) => imageIdFor(id, 'master'));
      // The headers (positions, spacing) must be known before the volume is laid out.
      await Promise.all(ids.map((id) => imageLoader.loadAndCacheImage(id)));
      if (cancelled) return;
      const volume = await volumeLoader.createAndCacheVolume(volumeId, { imageIds: ids });
      const rendering = new RenderingEngine(engineId);
      engine.current = rendering;
      rendering.setViewports(
        planes.map((plane) => ({
          viewportId: `${engineId}-${plane}`,
          type: CoreEnums.ViewportType.ORTHOGRAPHIC,
          element: elements.current[plane]!,
          defaultOptions: { orientation: orientation[plane], background: [0, 0, 0] as Types.Point3 },
        })),
      );
      const group = ToolGroupManager.createToolGroup(toolGroupId)!;
      for (const tool of [WindowLevelTool, ZoomTool, PanTool, StackScrollTool]) group.addTool(tool.toolName);
      group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
      group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
      group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Wheel }] });
      for (const plane of planes) group.addViewport(`${engineId}-${plane}`, engineId);
      volume.load();
      await setVolumesForViewports(rendering, [{ volumeId }], planes.map((plane) => `${engineId}-${plane}`));
      if (cancelled) return;
      for (const plane of planes) {
        const vp = rendering.getViewport(`${engineId}-${plane}`) as Types.IVolumeViewport;
        const element = elements.current[plane]!;
        const publish = () => {
          element.dataset.slices = String(vp.getNumberOfSlices());
          element.dataset.slice = String(vp.getSliceIndex());
        };
        publish();
        element.addEventListener(CoreEnums.Events.CAMERA_MODIFIED, publish);
        listeners.push(() => element.removeEventListener(CoreEnums.Events.CAMERA_MODIFIED, publish));
      }
      rendering.render();
      setStatus('ready');
    })().catch((error: unknown) => {
      if (cancelled) return;
      setReason(error instanceof Error ? error.message : String(error));
      setStatus('error');
    });
    return () => {
      cancelled = true;
      for (const remove of listeners) remove();
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine.current?.destroy();
      engine.current = null;
      cache.removeVolumeLoadObject(volumeId);
    };
  }, [key, engineId, toolGroupId, volumeId]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => engine.current?.resize(true, true));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div ref={box} className="compare-viewports compare-side mpr-viewports" data-count={3} data-state={status} data-reason={reason || undefined}>
      {planes.map((plane) => (
        <figure key={plane} className="compare-cell" data-plane={plane}>
          <div
            className="compare-viewport"
            data-plane={plane}
            ref={(el) => {
              elements.current[plane] = el;
            }}
            onContextMenu={(event) => event.preventDefault()}
          />
          <figcaption className="compare-caption">{labels[plane]}</figcaption>
        </figure>
      ))}
    </div>
  );
}
