/**
 * Outage: the S3 server stops while images are being uploaded. Every put still succeeds (the object
 * waits in the local outbox, readable from there), the outbox count grows, and nothing is lost:
 * when the server is back, draining uploads everything, byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../../main/storage/outbox.js';
import { S3Store } from '../../../main/storage/s3.js';
import { readAll } from '../../../main/storage/store.js';
import { scratchDir } from '../../support/paths.js';
import { startS3rver, type S3Server } from '../../support/s3.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('outbox during an S3 outage', () => {
  let server: S3Server;
  let s3: S3Store;
  let outbox: OutboxStore;
  beforeAll(async () => {
    server = await startS3rver();
    s3 = new S3Store({
      bucket: server.bucket, prefix: 'outage', region: server.region, endpoint: server.endpoint, forcePathStyle: true,
      credentials: server.credentials, maxAttempts: 1, partSize: 5 * 1024 * 1024,
    });
    outbox = new OutboxStore(s3, join(scratchDir('outbox'), 'storage', 'outbox'));
  });
  afterAll(async () => {
    await s3?.close();
    await server?.stop();
  });

  it('queues uploads while the store is down and drains them when it returns', async () => {
    const objects = Array.from({ length: 16 }, (_, i) => ({ key: `prac/img-${i}/view`, bytes: randomBytes(i === 9 ? 12 * 1024 * 1024 : 200_000 + i) }));
    const puts: Array<Promise<unknown>> = [];
    for (const [i, o] of objects.entries()) {
      if (i === 9) {
        // A large multipart upload is in flight when the server goes away.
        puts.push(outbox.put(o.key, o.bytes, { contentType: 'image/jpeg', sha256: sha(o.bytes) }));
        await server.stop();
        continue;
      }
      await outbox.put(o.key, o.bytes, { contentType: 'image/jpeg', sha256: sha(o.bytes) });
      if (i < 9) expect(await outbox.pending()).toBe(0);
    }
    await Promise.all(puts);
    expect(server.running).toBe(false);
    const waiting = await outbox.pending();
    expect(waiting).toBeGreaterThanOrEqual(6);
    expect(waiting).toBeLessThanOrEqual(7);

    // While down: queued images are readable from the outbox; draining gives up without losing any.
    const queued = await outbox.get('prac/img-12/view', { range: { start: 5, end: 14 } });
    expect((await readAll(queued.body)).equals(objects[12]!.bytes.subarray(5, 15))).toBe(true);
    expect(await outbox.drain()).toBe(0);
    expect(await outbox.pending()).toBe(waiting);

    await server.start();
    expect(await outbox.drain()).toBe(waiting);
    expect(await outbox.pending()).toBe(0);
    for (const o of objects) {
      const stored = await s3.get(o.key);
      expect(sha(await readAll(stored.body)), o.key).toBe(sha(o.bytes));
      expect(stored.info.contentType).toBe('image/jpeg');
    }
  });
});
