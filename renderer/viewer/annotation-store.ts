import type { CuspClient } from '../../contract/client.js';
import type { ListedAnnotation } from '../../contract/methods/annotations.js';

/** An annotation as main keeps it (see contract/methods/annotations.ts). */
export type AnnotationRecord = ListedAnnotation;

export interface AnnotationDraft {
  imageId: string;
  /** Omitted for a new annotation; with `version` for an edit. */
  id?: string;
  version?: number;
  tool: string;
  geometry: StoredGeometry;
  label: string | null;
}

/**
 * Where the viewer keeps its drawings. In the app, `contractAnnotationStore(client)`; the viewer
 * without one (the test harness) keeps them for the page only.
 */
export interface AnnotationStore {
  list(imageId: string): Promise<AnnotationRecord[]>;
  save(draft: AnnotationDraft): Promise<AnnotationRecord>;
  remove(id: string, version: number): Promise<void>;
}

/**
 * Geometry as stored: full-resolution pixel coordinates (the viewer's world space, the same for
 * every variant). `points` is what export draws; `handles`/`contour` restore Cornerstone's drawing;
 * `text` is the measured value as shown when it was saved (used by burned-in exports).
 */
export interface StoredGeometry {
  points: Array<[number, number]>;
  handles: { points: Array<[number, number, number]>; textBox?: { hasMoved: boolean; worldPosition: [number, number, number] } };
  contour?: { polyline: Array<[number, number, number]>; closed: boolean };
  text?: string;
  viewPlaneNormal?: [number, number, number];
  viewUp?: [number, number, number];
  [key: string]: unknown;
}

export function contractAnnotationStore(client: CuspClient): AnnotationStore {
  return {
    list: async (imageId) => (await client.call('annotations.list', { imageId })).annotations,
    save: (draft) =>
      client.call('annotations.save', {
        imageId: draft.imageId,
        ...(draft.id !== undefined && draft.version !== undefined ? { id: draft.id, version: draft.version } : {}),
        tool: draft.tool,
        geometry: draft.geometry as never,
        label: draft.label,
      }),
    remove: async (id, version) => {
      await client.call('annotations.delete', { id, version });
    },
  };
}
