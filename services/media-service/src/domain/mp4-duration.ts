/**
 * The duration of an MP4 / QuickTime file in seconds, read from its `moov/mvhd` box, which
 * may sit at the start (fast start) or at the end of the file. `read` returns up to `length`
 * bytes at `offset` (fewer at the end of the file). Undefined when the boxes are not there.
 */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

const MAX_BOXES = 64;

interface Box {
  type: string;
  start: number;
  headerSize: number;
  size: number;
}

async function readBox(read: ReadAt, offset: number, end: number): Promise<Box | undefined> {
  if (offset + 8 > end) return undefined;
  const h = await read(offset, 16);
  if (h.length < 8) return undefined;
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  let size = view.getUint32(0);
  const type = String.fromCharCode(h[4]!, h[5]!, h[6]!, h[7]!);
  let headerSize = 8;
  if (size === 1) {
    if (h.length < 16) return undefined;
    size = Number(view.getBigUint64(8));
    headerSize = 16;
  } else if (size === 0) {
    size = end - offset; // box runs to the end of its container
  }
  if (size < headerSize || offset + size > end) return undefined;
  return { type, start: offset, headerSize, size };
}

async function findChild(read: ReadAt, start: number, end: number, type: string): Promise<Box | undefined> {
  let offset = start;
  for (let i = 0; i < MAX_BOXES; i++) {
    const box = await readBox(read, offset, end);
    if (!box) return undefined;
    if (box.type === type) return box;
    offset += box.size;
  }
  return undefined;
}

export async function mp4DurationSeconds(read: ReadAt, fileSize: number): Promise<number | undefined> {
  const moov = await findChild(read, 0, fileSize, 'moov');
  if (!moov) return undefined;
  const mvhd = await findChild(read, moov.start + moov.headerSize, moov.start + moov.size, 'mvhd');
  if (!mvhd) return undefined;
  const body = await read(mvhd.start + mvhd.headerSize, 32);
  if (body.length < 20) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const version = view.getUint8(0);
  let timescale: number;
  let duration: number;
  if (version === 1) {
    if (body.length < 32) return undefined;
    timescale = view.getUint32(20);
    duration = Number(view.getBigUint64(24));
  } else {
    timescale = view.getUint32(12);
    duration = view.getUint32(16);
  }
  if (!timescale || duration === 0xffffffff) return undefined;
  return Math.round((duration / timescale) * 1000) / 1000;
}
