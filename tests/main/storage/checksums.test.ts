/**
 * Provider checksums on upload, which s3rver does not check: every S3 PUT and part carries the
 * Content-MD5 of its bytes, and Azure blocks their transactional MD5; when the provider reports
 * a different checksum for what it stored (ETag / Content-MD5), the put fails with IntegrityError.
 * A small HTTP endpoint stands in for the provider and records what it received.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AzureStore } from '../../../main/storage/azure.js';
import { StorageError } from '../../../main/storage/errors.js';
import { S3Store } from '../../../main/storage/s3.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  md5: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Answers every request with `reply(seen)`; records each request with the MD5 of its body. */
async function provider(reply: (seen: Seen) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const hash = createHash('md5');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, md5: hash.digest('base64') };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, r.headers).end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');

describe('S3 upload checksums', () => {
  const store = (endpoint: string) =>
    new S3Store({ bucket: 'b', region: 'ca-central-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 's' }, maxAttempts: 1 });

  it('sends Content-MD5 and the payload sha256, and accepts the matching ETag', async () => {
    const p = await provider((s) => ({ status: 200, headers: { etag: `"${hex(s.md5)}"` } }));
    const body = randomBytes(10_000);
    await store(p.url).put('k', body);
    expect(p.seen[0]!.headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'));
    expect(p.seen[0]!.md5).toBe(p.seen[0]!.headers['content-md5']);
    // The signature covers the payload's sha256, the one computed for the object (not hashed twice).
    expect(p.seen[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('fails with IntegrityError when the provider reports another checksum', async () => {
    const p = await provider(() => ({ status: 200, headers: { etag: `"${'0'.repeat(32)}"` } }));
    await expect(store(p.url).put('k', randomBytes(1000))).rejects.toMatchObject({ code: 'IntegrityError' });
  });

  it('maps the provider refusing the digest (BadDigest) to IntegrityError', async () => {
    const p = await provider(() => ({
      status: 400, headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what we received.</Message></Error>',
    }));
    const error = await store(p.url).put('k', randomBytes(1000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('IntegrityError');
    expect((error as StorageError).cause).toBeDefined();
  });
});

describe('Azure upload checksums', () => {
  const store = (endpoint: string) =>
    new AzureStore({ account: 'acct', accountKey: randomBytes(64).toString('base64'), container: 'c', endpoint: `${endpoint}/acct`, region: 'canadacentral', maxTries: 1, blockSize: 5 * 1024 * 1024 });

  it('sends each Put Blob and each block with its MD5 and refuses a blob whose stored MD5 differs', async () => {
    // Blocks get their true MD5 back; a whole-blob Put answers an MD5 that is not ours.
    const isBlock = (s: Seen) => /[?&]comp=block(&|$)/.test(s.url);
    const p = await provider((s) => ({ status: 201, headers: { 'content-md5': isBlock(s) ? s.md5 : Buffer.alloc(16).toString('base64') } }));
    await expect(store(p.url).put('k', randomBytes(1000))).rejects.toMatchObject({ code: 'IntegrityError' });
    // Up to two blocks (here 7 MiB with 5 MiB blocks) go in one Put Blob carrying the MD5 of its bytes.
    const before = p.seen.length;
    await expect(store(p.url).put('mid', randomBytes(7 * 1024 * 1024))).rejects.toMatchObject({ code: 'IntegrityError' });
    expect(p.seen.length).toBe(before + 1);
    expect(isBlock(p.seen[before]!)).toBe(false);
    expect(p.seen[before]!.headers['content-md5']).toBe(p.seen[before]!.md5);
    // A staged upload: every block carries the MD5 of its own bytes.
    await store(p.url).put('big', randomBytes(11 * 1024 * 1024));
    const blocks = p.seen.filter(isBlock);
    expect(blocks.length).toBe(3);
    for (const b of blocks) expect(b.headers['content-md5']).toBe(b.md5);
  });
});
