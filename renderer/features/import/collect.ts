/**
 * The files of a drop: folders (DataTransfer items, `webkitGetAsEntry`) are walked recursively,
 * hidden entries skipped; plain files as given. A file input's FileList goes through as is.
 */
export interface PickedFile {
  file: File;
  /** Path inside the dropped folder, or the file name. */
  name: string;
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    // readEntries answers in chunks (100 in Chromium) until an empty one.
    const next = () =>
      reader.readEntries((entries) => {
        if (!entries.length) return resolve(all);
        all.push(...entries);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.name.startsWith('.')) return;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, name: entry.fullPath.replace(/^\//, '') || file.name });
    return;
  }
  if (entry.isDirectory) {
    const children = await readAll((entry as FileSystemDirectoryEntry).createReader());
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) await walk(child, out);
  }
}

export async function filesFromDrop(data: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (!entries.length && !loose.length) return filesFromList(data.files);
  const out: PickedFile[] = loose.map((file) => ({ file, name: file.name }));
  for (const entry of entries) await walk(entry, out);
  return out;
}

export function filesFromList(list: FileList | null): PickedFile[] {
  return Array.from(list ?? [])
    .filter((file) => !file.name.startsWith('.'))
    .map((file) => ({ file, name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name }));
}
