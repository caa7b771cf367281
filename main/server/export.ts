import type { IncomingMessage, ServerResponse } from 'node:http';
import { roleGrants } from '../../contract/access.js';
import type { CallContext } from '../app/context.js';
import { AppError } from '../app/errors.js';
import type { RouteHandler } from './http.js';

/**
 * `GET /img/<image-uuid>/export?format=png|jpeg|gsps[&center=<c>&width=<w>]`: the lossless master
 * rendered with its annotations burned in (PNG, JPEG) or a DICOM Grayscale Softcopy Presentation
 * State carrying them (GSPS). Same rules as the image route: the caller's role must grant
 * `imaging.view`, the image must be of the caller's practice, and the export is audited before a
 * byte is sent (a failing audit means no file).
 */
export const exportFormats = ['png', 'jpeg', 'gsps'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportRequest {
  format: ExportFormat;
  /** A window (modality units) to render with instead of the image's own. */
  window?: { center: number; width: number };
}

export interface ExportedFile {
  bytes: Buffer;
  contentType: string;
  fileName: string;
}

export interface ImageExporter {
  /** Null when the image (or its master) does not exist for this caller. Rejects with AppError for a refusal. */
  export(imageId: string, request: ExportRequest, call: CallContext): Promise<ExportedFile | null>;
  /** The audit hook, called once the file is ready and before it is sent. */
  onExport?(imageId: string, request: ExportRequest, call: CallContext): Promise<void> | void;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const canViewImages = (call: CallContext) => call.user !== null && roleGrants(call.user.role, 'imaging.view');

const statusOf: Partial<Record<AppError['code'], number>> = { NOT_FOUND: 404, INVALID_INPUT: 400, FORBIDDEN: 403, CONFLICT: 409, UNAVAILABLE: 503 };

export function createExportRoute(exporter: ImageExporter, authorize: (call: CallContext) => boolean = canViewImages): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, call: CallContext) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/img\/([^/]+)\/export$/.exec(url.pathname);
    if (!match) return false;
    const imageId = match[1]!;
    if (req.method !== 'GET') return send(res, 405, 'Use GET', { Allow: 'GET' });
    if (!uuidPattern.test(imageId)) return send(res, 400, 'Image ids are UUIDs');
    if (!authorize(call)) return send(res, 403, 'Not allowed to view images');
    const format = url.searchParams.get('format') ?? 'png';
    if (!(exportFormats as readonly string[]).includes(format)) return send(res, 400, 'format is png, jpeg or gsps');
    const request: ExportRequest = { format: format as ExportFormat };
    const center = url.searchParams.get('center');
    const width = url.searchParams.get('width');
    if (center !== null || width !== null) {
      const c = Number(center);
      const w = Number(width);
      if (center === null || width === null || !Number.isFinite(c) || !Number.isFinite(w) || w <= 0) return send(res, 400, 'center and width go together; width > 0');
      request.window = { center: c, width: w };
    }
    let file: ExportedFile | null;
    try {
      file = await exporter.export(imageId.toLowerCase(), request, call);
    } catch (error) {
      if (error instanceof AppError && statusOf[error.code]) return send(res, statusOf[error.code]!, error.message);
      throw error;
    }
    if (!file) return send(res, 404, 'No such image');
    await exporter.onExport?.(imageId.toLowerCase(), request, call);
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': String(file.bytes.length),
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Cache-Control': 'no-store',
    });
    res.end(file.bytes);
    return true;
  };
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
  return true;
}
