import type { Annotation } from '../../contract/index.js';

/**
 * An annotation as the patient's PDF and the consultation screen draw it: the stored geometry's
 * `points` (full-resolution pixel coordinates, the viewer's world space), joined as a polyline,
 * closed for area tools, with its label (or the geometry's own text) by the first point.
 * Annotations without usable points are left out rather than guessed.
 */
export interface DrawnAnnotation {
  points: Array<[number, number]>;
  closed: boolean;
  /** Set for an ellipse stored as its four extreme points: drawn as the ellipse (axis-aligned). */
  ellipse?: { cx: number; cy: number; rx: number; ry: number };
  label: string | null;
}

const closedTools = /ellip|rect|circle|freehand|polygon|roi|contour|spline/i;

export function drawable(annotations: Annotation[]): DrawnAnnotation[] {
  const out: DrawnAnnotation[] = [];
  for (const annotation of annotations) {
    const geometry = annotation.geometry as { points?: unknown; text?: unknown } | null;
    const raw = geometry && Array.isArray(geometry.points) ? geometry.points : [];
    const points = raw.filter(
      (p): p is [number, number] => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]),
    ).map(([x, y]) => [x, y] as [number, number]);
    if (points.length === 0) continue;
    const text = annotation.label ?? (typeof geometry?.text === 'string' && geometry.text ? geometry.text : null);
    const drawn: DrawnAnnotation = { points: points.slice(0, 2000), closed: points.length > 2 && closedTools.test(annotation.tool), label: text ? text.slice(0, 200) : null };
    if (/ellip|circle/i.test(annotation.tool) && points.length === 4) {
      const cx = points.reduce((n, p) => n + p[0], 0) / 4;
      const cy = points.reduce((n, p) => n + p[1], 0) / 4;
      drawn.ellipse = { cx, cy, rx: Math.max(...points.map((p) => Math.abs(p[0] - cx))), ry: Math.max(...points.map((p) => Math.abs(p[1] - cy))) };
    }
    out.push(drawn);
  }
  return out;
}
