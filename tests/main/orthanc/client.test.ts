/**
 * The Orthanc REST client against a real Orthanc (Debian's package, fed by dcmtk's storescu):
 * typed replies, auth failures not retried, 404s, retries that outlast an Orthanc restart,
 * the file size cap, and logs free of patient names. 5xx replies come from a local stub,
 * since a healthy Orthanc does not produce them on demand.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../main/app/log.js';
import {
  OrthancAuthError,
  OrthancClient,
  OrthancHttpError,
  type OrthancClientOptions,
  OrthancNotFoundError,
  OrthancProtocolError,
  OrthancUnreachableError,
  tagString,
} from '../../../main/orthanc/client.js';
import { startOrthanc, type OrthancServer } from '../../support/orthanc.js';
import { dicomData } from '../../support/paths.js';

const bitewing = dicomData('dental', 'IO_bitewing01_8bit_JPEGBaseline.dcm');
const crChest = dicomData('compressed', 'fodicom_CR-MONO1-10-chest_nometa.dcm');

let orthanc: OrthancServer;
let logLines: string[];
let client: OrthancClient;

/** A client of the test Orthanc with the right credentials, plus overrides. */
function connect(extra: Partial<OrthancClientOptions> = {}): OrthancClient {
  return new OrthancClient({ url: orthanc.url, username: orthanc.username, password: orthanc.password, ...extra });
}

function countingFetch(counter: { calls: number }): typeof fetch {
  return (input, init) => {
    counter.calls += 1;
    return fetch(input, init);
  };
}

beforeAll(async () => {
  orthanc = await startOrthanc();
  logLines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  client = connect({
    log: createLogger({ level: 'debug', destination: sink }),
    backoff: { baseMs: 50, maxMs: 400 },
  });
  await orthanc.storescu([bitewing, crChest]);
});

afterAll(async () => {
  await orthanc?.stop();
});

describe('OrthancClient against a real Orthanc', () => {
  it('reads /system, /changes, /patients, /studies and the instances sent by C-STORE', async () => {
    const system = await client.system();
    expect(system.DicomAet).toBe(orthanc.aet);
    expect(system.DicomPort).toBe(orthanc.dicomPort);

    const page = await client.changes(0, 100);
    const newInstances = page.Changes.filter((c) => c.ChangeType === 'NewInstance');
    expect(newInstances).toHaveLength(2);
    expect(page.Done).toBe(true);
    expect(page.Last).toBe(page.Changes.at(-1)?.Seq);
    expect(await client.lastChangeSeq()).toBe(page.Last);

    expect(await client.patients()).toHaveLength(2);
    expect(await client.studies()).toHaveLength(2);
    const ids = await client.instances({ since: 0, limit: 10 });
    expect(ids.sort()).toEqual(newInstances.map((c) => c.ID).sort());
    expect(await client.instances({ since: 1, limit: 10 })).toHaveLength(1);
  });

  it('returns simplified tags, metadata and the stored file with a correct sha256', async () => {
    const ids = await client.instances({ since: 0, limit: 10 });
    const found = await Promise.all(ids.map(async (id) => ({ id, tags: await client.simplifiedTags(id) })));
    const io = found.find((f) => tagString(f.tags, 'PatientID') === 'ANON-IO-0001');
    expect(io, 'the bitewing is in Orthanc').toBeDefined();
    const id = io!.id;
    expect(tagString(io!.tags, 'Modality')).toBe('IO');

    const info = await client.instance(id);
    expect(info.MainDicomTags.SOPInstanceUID).toBe(tagString(io!.tags, 'SOPInstanceUID'));

    const metadata = await client.instanceMetadata(id);
    expect(metadata.RemoteAET).toBe('CUSPTEST');
    expect(metadata.TransferSyntax).toBe('1.2.840.10008.1.2.4.50');

    const file = await client.instanceFile(id);
    expect(file.bytes.length).toBe(info.FileSize);
    expect(file.sha256).toBe(createHash('sha256').update(file.bytes).digest('hex'));
    const dataSet = dicomParser.parseDicom(new Uint8Array(file.bytes), { untilTag: 'x00080018' });
    expect(dataSet.string('x00080018')).toBe(info.MainDicomTags.SOPInstanceUID);
  });

  it('refuses a file larger than the cap instead of buffering it', async () => {
    const [id] = await client.instances({ since: 0, limit: 1 });
    const small = connect({ maxFileBytes: 1000 });
    await expect(small.instanceFile(id!)).rejects.toBeInstanceOf(OrthancProtocolError);
  });

  it('fails at once on wrong credentials, without retrying', async () => {
    const counter = { calls: 0 };
    const wrong = new OrthancClient({ url: orthanc.url, username: orthanc.username, password: 'wrong', fetch: countingFetch(counter) });
    await expect(wrong.system()).rejects.toBeInstanceOf(OrthancAuthError);
    expect(counter.calls).toBe(1);
    const anonymous = new OrthancClient({ url: orthanc.url });
    await expect(anonymous.changes(0, 10)).rejects.toBeInstanceOf(OrthancAuthError);
  });

  it('takes credentials from the URL and never keeps them in baseUrl', async () => {
    const withUrl = new OrthancClient({ url: `http://${orthanc.username}:${orthanc.password}@127.0.0.1:${orthanc.httpPort}/` });
    expect(withUrl.baseUrl).toBe(orthanc.url);
    expect((await withUrl.system()).DicomAet).toBe(orthanc.aet);
  });

  it('reports a missing instance as not found, and deleting it twice as absent', async () => {
    const counter = { calls: 0 };
    const counted = connect({ fetch: countingFetch(counter) });
    await expect(counted.instance('00000000-00000000-00000000-00000000-00000000')).rejects.toBeInstanceOf(OrthancNotFoundError);
    expect(counter.calls).toBe(1);

    await orthanc.storescu(dicomData('dental', 'IO_bitewing01_12bit_RLE.dcm'));
    const page = await client.changes(0, 100);
    const id = page.Changes.filter((c) => c.ChangeType === 'NewInstance').at(-1)!.ID;
    expect(await client.deleteInstance(id)).toBe('deleted');
    await expect(client.instanceFile(id)).rejects.toBeInstanceOf(OrthancNotFoundError);
    expect(await client.deleteInstance(id)).toBe('absent');
  });

  it('refuses ids that are not Orthanc ids before building a URL', async () => {
    await expect(client.instance('../system')).rejects.toBeInstanceOf(OrthancProtocolError);
  });

  it('retries while Orthanc is down and succeeds once it is back', async () => {
    await orthanc.stop();
    const counter = { calls: 0 };
    const patient = connect({
      retries: 40,
      backoff: { baseMs: 50, maxMs: 250 },
      fetch: countingFetch(counter),
    });
    const pending = patient.system();
    // Restart only after the client has failed at least twice, so the success must be a retry.
    while (counter.calls < 2) await new Promise((r) => setTimeout(r, 20));
    await orthanc.start();
    const system = await pending;
    expect(system.DicomAet).toBe(orthanc.aet);
    expect(counter.calls).toBeGreaterThan(2);
  });

  it('gives up with an unreachable error after its retries', async () => {
    await orthanc.stop();
    try {
      const counter = { calls: 0 };
      const impatient = connect({
        retries: 2,
        backoff: { baseMs: 10, maxMs: 20 },
        fetch: countingFetch(counter),
    });
      await expect(impatient.system()).rejects.toBeInstanceOf(OrthancUnreachableError);
      expect(counter.calls).toBe(3);
    } finally {
      await orthanc.start();
    }
  });

  it('stops retrying when the caller aborts', async () => {
    await orthanc.stop();
    try {
      const patient = new OrthancClient({ url: orthanc.url, retries: 1000, backoff: { baseMs: 50, maxMs: 50 } });
      const abort = new AbortController();
      const pending = patient.system({ signal: abort.signal });
      setTimeout(() => abort.abort(new Error('shutting down')), 100);
      await expect(pending).rejects.toThrow('shutting down');
    } finally {
      await orthanc.start();
    }
  });

  it('never writes a patient name or birth date to the log', async () => {
    const ids = await client.instances({ since: 0, limit: 10 });
    for (const id of ids) await client.simplifiedTags(id);
    await orthanc.stop();
    await expect(client.simplifiedTags(ids[0]!)).rejects.toBeInstanceOf(OrthancUnreachableError);
    await orthanc.start();
    const text = logLines.join('');
    expect(text).toContain('simplified-tags');
    expect(text).toContain('retrying');
    expect(text).not.toMatch(/BITEWING|ANONYMOUS/i);
    expect(text).not.toMatch(/PatientName|PatientBirthDate/);
  });
});

describe('OrthancClient against a stub answering 5xx and 4xx', () => {
  let stub: Server;
  let base: string;
  const replies: number[] = [];
  let served = 0;

  beforeAll(async () => {
    stub = createServer((_req, res) => {
      const status = replies[served] ?? 200;
      served += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ Changes: [], Done: true, Last: 7 }) : '{}');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => stub.close(() => resolve())));

  it('retries 502/503 and returns the eventual answer', async () => {
    replies.splice(0, replies.length, 503, 502, 200);
    served = 0;
    const c = new OrthancClient({ url: base, backoff: { baseMs: 5, maxMs: 10 } });
    expect((await c.changes(0, 10)).Last).toBe(7);
    expect(served).toBe(3);
  });

  it('does not retry a 400, and reports a persistent 500 as an HTTP error with its status', async () => {
    replies.splice(0, replies.length, 400);
    served = 0;
    const c = new OrthancClient({ url: base, retries: 3, backoff: { baseMs: 5, maxMs: 10 } });
    await expect(c.changes(0, 10)).rejects.toMatchObject({ kind: 'http', status: 400 });
    expect(served).toBe(1);

    replies.splice(0, replies.length, 500, 500, 500, 500);
    served = 0;
    const error = await c.changes(0, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrthancHttpError);
    expect(error).toMatchObject({ status: 500 });
    expect(served).toBe(4);
  });

  it('rejects a reply that does not match the documented shape', async () => {
    replies.splice(0, replies.length);
    served = 0;
    const c = new OrthancClient({ url: base });
    await expect(c.system()).rejects.toBeInstanceOf(OrthancProtocolError);
  });
});
