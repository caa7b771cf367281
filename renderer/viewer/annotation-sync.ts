import type { Types } from '@cornerstonejs/core';
import { annotation as annotationApi, state as toolState, type Types as ToolTypes } from '@cornerstonejs/tools';
import type { AnnotationRecord, AnnotationStore, StoredGeometry } from './annotation-store.js';
import { parseImageId } from './cusp-loader.js';

/**
 * Keeps Cornerstone's drawings on one image and the saved annotations in step. Every change
 * (drawn, handles moved, label edited, removed — also by undo/redo or the eraser) schedules a
 * reconciliation a moment later: new drawings are created, changed ones saved with the version
 * read (optimistic), removed ones deleted. Someone else's annotations are locked in Cornerstone;
 * if one is moved or erased anyway it is put back as saved. A failed save leaves the drawing
 * as it is and is retried on the next change (or `retry()`); the error is reported.
 */
export interface SyncedAnnotation {
  uid: string;
  tool: string;
  label: string;
  record: AnnotationRecord | null;
  state: 'saved' | 'pending' | 'error';
}

export interface AnnotationSyncOptions {
  imageId: string;
  store: AnnotationStore;
  /** Drawings that are not annotations (the calibration line). */
  isTransient: (uid: string) => boolean;
  /** The measured value as the viewer shows it, stored with the geometry for exports. */
  measuredText: (annotation: ToolTypes.Annotation) => string | undefined;
  onChange: (list: SyncedAnnotation[]) => void;
  onError: (message: string | null) => void;
  /** Re-render after drawings were put back or loaded. */
  render: () => void;
}

interface Tracked {
  record: AnnotationRecord;
  /** The saved tool, geometry (without the measured text) and label, to tell a change. */
  key: string;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const point3 = (p: ArrayLike<number>): [number, number, number] => [round(p[0]!), round(p[1]!), round(p[2] ?? 0)];

/** The stored geometry of a Cornerstone drawing (world = full-resolution pixels). */
export function geometryOf(a: ToolTypes.Annotation, text?: string): StoredGeometry {
  const data = a.data as {
    handles?: { points?: Types.Point3[]; textBox?: { hasMoved?: boolean; worldPosition?: Types.Point3 } };
    contour?: { polyline?: Types.Point3[]; closed?: boolean };
  };
  const handlePoints = (data.handles?.points ?? []).map(point3);
  const contour = data.contour?.polyline?.length ? { polyline: data.contour.polyline.map(point3), closed: data.contour.closed ?? true } : undefined;
  const points = (contour ? contour.polyline : handlePoints).map(([x, y]) => [x, y] as [number, number]);
  // A text box follows its drawing (Cornerstone moves it at every render) until the user drags it.
  const textBox = data.handles?.textBox?.hasMoved && data.handles.textBox.worldPosition ? { hasMoved: true, worldPosition: point3(data.handles.textBox.worldPosition) } : undefined;
  const metadata = a.metadata as { viewPlaneNormal?: Types.Point3; viewUp?: Types.Point3 };
  return {
    points,
    handles: { points: handlePoints, ...(textBox ? { textBox } : {}) },
    ...(contour ? { contour } : {}),
    ...(text ? { text } : {}),
    ...(metadata.viewPlaneNormal ? { viewPlaneNormal: point3(metadata.viewPlaneNormal) } : {}),
    ...(metadata.viewUp ? { viewUp: point3(metadata.viewUp) } : {}),
  };
}

const labelOf = (a: ToolTypes.Annotation): string | null => {
  const label = (a.data as { label?: unknown }).label;
  return typeof label === 'string' && label.trim() !== '' ? label : null;
};

const keyOf = (tool: string, geometry: StoredGeometry, label: string | null) => {
  const { text: _text, ...shape } = geometry;
  return JSON.stringify([tool, shape, label]);
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export class AnnotationSync {
  private readonly tracked = new Map<string, Tracked>();
  private readonly failed = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private loaded = false;
  private disposed = false;

  constructor(private readonly options: AnnotationSyncOptions) {}

  /** The saved annotations have been read and drawn. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** This image's drawings in Cornerstone's state (on whichever variant is shown). */
  drawings(): ToolTypes.Annotation[] {
    return annotationApi.state.getAllAnnotations().filter((a) => {
      const referenced = a.metadata?.referencedImageId;
      return a.annotationUID !== undefined && referenced !== undefined && parseImageId(referenced)?.id === this.options.imageId && !this.options.isTransient(a.annotationUID);
    });
  }

  /** Reads the saved annotations and adds them to Cornerstone on the shown image. */
  async load(viewport: Types.IStackViewport): Promise<void> {
    const records = await this.options.store.list(this.options.imageId);
    if (this.disposed) return;
    for (const record of records) this.restore(record, viewport);
    this.loaded = true;
    this.publish();
    this.options.render();
  }

  private viewport: Types.IStackViewport | null = null;

  private restore(record: AnnotationRecord, viewport: Types.IStackViewport | null = this.viewport): void {
    if (!viewport) return;
    this.viewport = viewport;
    const referencedImageId = viewport.getCurrentImageId();
    const g = record.geometry as Partial<StoredGeometry>;
    const camera = viewport.getCamera();
    const points = g.handles?.points ?? (g.points ?? []).map(([x, y]) => [x, y, 0] as [number, number, number]);
    const restored = {
      annotationUID: record.id,
      highlighted: false,
      invalidated: true,
      isLocked: !record.editable,
      isVisible: true,
      autoGenerated: false,
      metadata: {
        toolName: record.tool,
        referencedImageId,
        FrameOfReferenceUID: viewport.getFrameOfReferenceUID(),
        viewPlaneNormal: g.viewPlaneNormal ?? camera.viewPlaneNormal,
        viewUp: g.viewUp ?? camera.viewUp,
      },
      data: {
        handles: { points: clone(points), activeHandleIndex: null, ...(g.handles?.textBox ? { textBox: clone(g.handles.textBox) } : {}) },
        ...(g.contour ? { contour: clone(g.contour) } : {}),
        label: record.label ?? '',
        cachedStats: {},
      },
    } as unknown as ToolTypes.Annotation;
    this.tracked.set(record.id, { record, key: keyOf(record.tool, g as StoredGeometry, record.label) });
    annotationApi.state.addAnnotation(restored, viewport.element);
    if (!record.editable) annotationApi.locking.setAnnotationLocked(record.id, true);
  }

  /** Call on every Cornerstone annotation event (and after a label edit): reconciles shortly after. */
  schedule(delayMs = 250): void {
    if (this.disposed || !this.loaded) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delayMs);
  }

  /** Saves what failed before (and anything else pending) now. */
  retry(): void {
    this.schedule(0);
  }

  /** Stops syncing; drawings not yet saved are saved one last time (nothing is deleted). */
  dispose(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const unsaved = this.loaded ? this.snapshot().filter((s) => s.change === 'create' || s.change === 'update') : [];
    this.disposed = true;
    for (const item of unsaved) void this.apply(item).catch(() => undefined);
  }

  /** The panel's list, in drawing order. */
  list(): SyncedAnnotation[] {
    return this.drawings().map((a) => {
      const uid = a.annotationUID!;
      const tracked = this.tracked.get(uid);
      const tool = a.metadata?.toolName ?? '';
      const pending = !tracked || tracked.key !== keyOf(tool, geometryOf(a), labelOf(a));
      return { uid, tool, label: labelOf(a) ?? '', record: tracked?.record ?? null, state: this.failed.has(uid) ? 'error' : pending ? 'pending' : 'saved' };
    });
  }

  private publish(): void {
    if (!this.disposed) this.options.onChange(this.list());
  }

  private snapshot() {
    const items: Array<
      | { change: 'create' | 'update' | 'revert'; uid: string; tool: string; geometry: StoredGeometry; label: string | null; tracked?: Tracked }
      | { change: 'delete' | 'putBack'; uid: string; tracked: Tracked }
    > = [];
    const seen = new Set<string>();
    for (const a of this.drawings()) {
      const uid = a.annotationUID!;
      seen.add(uid);
      const tool = a.metadata?.toolName ?? '';
      const geometry = geometryOf(a, this.options.measuredText(a));
      const label = labelOf(a);
      const tracked = this.tracked.get(uid);
      if (!tracked) items.push({ change: 'create', uid, tool, geometry, label });
      else if (tracked.key !== keyOf(tool, geometry, label)) items.push({ change: tracked.record.editable ? 'update' : 'revert', uid, tool, geometry, label, tracked });
    }
    for (const [uid, tracked] of this.tracked) if (!seen.has(uid)) items.push({ change: tracked.record.editable ? 'delete' : 'putBack', uid, tracked });
    return items;
  }

  private async apply(item: ReturnType<AnnotationSync['snapshot']>[number]): Promise<void> {
    const { store, imageId } = this.options;
    switch (item.change) {
      case 'create': {
        const record = await store.save({ imageId, tool: item.tool, geometry: item.geometry, label: item.label });
        this.tracked.set(item.uid, { record, key: keyOf(item.tool, item.geometry, item.label) });
        return;
      }
      case 'update': {
        const { record: previous } = item.tracked!;
        const record = await store.save({ imageId, id: previous.id, version: previous.version, tool: item.tool, geometry: item.geometry, label: item.label });
        this.tracked.set(item.uid, { record, key: keyOf(item.tool, item.geometry, item.label) });
        return;
      }
      case 'delete':
        await store.remove(item.tracked.record.id, item.tracked.record.version);
        this.tracked.delete(item.uid);
        return;
      case 'revert':
        // Not ours to change: back to the saved drawing.
        annotationApi.locking.setAnnotationLocked(item.uid, false);
        annotationApi.state.removeAnnotation(item.uid);
        this.tracked.delete(item.uid);
        this.restore(item.tracked!.record);
        return;
      case 'putBack':
        this.tracked.delete(item.uid);
        this.restore(item.tracked.record);
        return;
    }
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // Mid-drag: the drawing is not finished; look again when it is.
    if (toolState.isInteractingWithTool) return this.schedule(300);
    this.running = (async () => {
      const errors: string[] = [];
      let restored = false;
      for (const item of this.snapshot()) {
        if (this.disposed) break;
        try {
          await this.apply(item);
          this.failed.delete(item.uid);
          if (item.change === 'revert' || item.change === 'putBack') restored = true;
        } catch (error) {
          this.failed.add(item.uid);
          errors.push(error instanceof Error ? error.message : String(error));
        }
      }
      for (const uid of this.failed) if (!this.drawings().some((a) => a.annotationUID === uid) && !this.tracked.has(uid)) this.failed.delete(uid);
      this.options.onError(errors.length > 0 ? errors[0]! : null);
      if (restored) this.options.render();
      this.publish();
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
    if (this.again) {
      this.again = false;
      await this.run();
    }
  }
}
