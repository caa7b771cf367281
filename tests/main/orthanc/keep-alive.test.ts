// Pins down how the Orthanc client talks HTTP: calls in a row reuse one connection even though
// Orthanc's answers say `Keep-Alive: timeout=1` (fetch's default agent dropped every connection
// after one call on that hint), and every request asks for an uncompressed answer.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrthancClient } from '../../../main/orthanc/client.js';

let server: Server;
let connections = 0;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  // Answers the way Orthanc 1.10 does: keep-alive with a one-second hint.
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=1' });
    res.end(JSON.stringify({ Name: 'test', Version: '1.10.1', DatabaseVersion: 6, DicomAet: 'ORTHANC', DicomPort: 4242 }));
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('Orthanc client HTTP', () => {
  it('reuses its connection for calls in a row and asks for identity encoding', async () => {
    const client = new OrthancClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    for (let i = 0; i < 20; i++) expect((await client.system()).Version).toBe('1.10.1');
    // One connection carries them (undici may open a second after the first answer); one each without keep-alive.
    expect(connections).toBeLessThanOrEqual(2);
    expect(seen.map((h) => h['accept-encoding'])).toEqual(Array(20).fill('identity'));
  });
});
