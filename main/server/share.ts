import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { roleGrants } from '../../contract/access.js';
import type { CallContext } from '../app/context.js';
import type { PdfBody, ShareService } from '../share/service.js';
import type { RouteHandler } from './http.js';

/**
 * `GET /share/<token>`: the patient's link. Public (no Cusp token or session: the patient has
 * neither), so `startHttpServer` runs it before its token check, after the Host check.
 * - 404 for a token that was never issued (or was replaced by a newer link);
 * - 410 once the link expired or was revoked (checked on every fetch);
 * - 302 to a presigned URL when the cloud store can serve the PDF itself, else the PDF.
 * Nothing in the answer names the patient: the file name is generic.
 */
export function createShareLinkRoute(shares: ShareService, workstation: string): RouteHandler {
  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = /^\/share\/([^/]+)$/.exec(pathname);
    if (!match) return false;
    if (req.method !== 'GET') return send(res, 405, 'Use GET', { Allow: 'GET' });
    const answer = await shares.openLink(match[1]!, workstation);
    if (answer.kind === 'unknown') return send(res, 404, 'This link does not exist.');
    if (answer.kind === 'gone') {
      return send(res, 410, answer.reason === 'expired' ? 'This link has expired. Ask your dental office for a new one.' : 'This link was withdrawn by your dental office.');
    }
    if (answer.kind === 'redirect') {
      res.writeHead(302, { Location: answer.url, 'Cache-Control': 'no-store' }).end();
      return true;
    }
    await sendPdf(req, res, answer);
    return true;
  };
}

/** `GET /shares/<id>.pdf`: staff download, for a signed-in clinical user of the practice (audited). */
export function createShareDownloadRoute(shares: ShareService): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, call: CallContext) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = /^\/shares\/([0-9a-f-]{36})\.pdf$/i.exec(pathname);
    if (!match) return false;
    if (req.method !== 'GET') return send(res, 405, 'Use GET', { Allow: 'GET' });
    if (!call.user) return send(res, 401, 'Sign in to continue');
    if (!roleGrants(call.user.role, 'clinical')) return send(res, 403, 'Not allowed');
    const body = await shares.openForStaff(call, match[1]!.toLowerCase());
    if (!body) return send(res, 404, 'No such document (or it was revoked)');
    await sendPdf(req, res, body);
    return true;
  };
}

async function sendPdf(_req: IncomingMessage, res: ServerResponse, pdf: PdfBody): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'application/pdf',
    'Content-Length': String(pdf.bytes),
    'Content-Disposition': 'inline; filename="cusp-document.pdf"',
    'Cache-Control': 'no-store',
  });
  await pipeline(pdf.body, res);
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
  return true;
}
