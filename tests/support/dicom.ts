import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { scratchDir } from './paths.js';

const execFileAsync = promisify(execFile);

/**
 * `count` copies of a DICOM file, each a distinct image for Orthanc and Cusp: dcmtk's dcmodify
 * gives every copy a new SOP Instance UID (and, with `newStudy`, a new study and series).
 * The pixel data is untouched, so each copy decodes like the original.
 */
export async function distinctCopies(
  source: string,
  count: number,
  options: { patientId?: string; patientName?: string; newStudy?: boolean; dir?: string } = {},
): Promise<string[]> {
  const dir = options.dir ?? scratchDir('dicom-copies');
  const stem = basename(source, '.dcm');
  const files = Array.from({ length: count }, (_, i) => join(dir, `${stem}-${String(i).padStart(4, '0')}.dcm`));
  await Promise.all(files.map((file) => copyFile(source, file)));
  const args = ['-nb', '-gin', ...(options.newStudy ? ['-gst', '-gse'] : [])];
  if (options.patientId !== undefined) args.push('-i', `(0010,0020)=${options.patientId}`);
  if (options.patientName !== undefined) args.push('-i', `(0010,0010)=${options.patientName}`);
  // One dcmodify per 200 files keeps the command line short.
  for (let i = 0; i < files.length; i += 200) {
    await execFileAsync('dcmodify', [...args, ...files.slice(i, i + 200)], { timeout: 120_000 });
  }
  return files;
}
