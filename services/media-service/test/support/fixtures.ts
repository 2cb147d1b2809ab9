import { deflateSync } from 'node:zlib';

/** Small but real files, built in memory, for upload tests. */
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pngChunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

const box = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'ascii');
  return Buffer.concat([head, body]);
};

/** A minimal MP4: ftyp, moov/mvhd with the duration, and an mdat of filler, in either order. */
export function mp4(opts: { seconds: number; moovFirst?: boolean; mdatBytes?: number; version?: 0 | 1 }): Buffer {
  const timescale = 1000;
  const duration = Math.round(opts.seconds * timescale);
  let mvhdBody: Buffer;
  if (opts.version === 1) {
    mvhdBody = Buffer.alloc(4 + 8 + 8 + 4 + 8 + 80);
    mvhdBody.writeUInt8(1, 0);
    mvhdBody.writeUInt32BE(timescale, 20);
    mvhdBody.writeBigUInt64BE(BigInt(duration), 24);
  } else {
    mvhdBody = Buffer.alloc(4 + 4 + 4 + 4 + 4 + 80);
    mvhdBody.writeUInt32BE(timescale, 12);
    mvhdBody.writeUInt32BE(duration, 16);
  }
  const ftyp = box('ftyp', Buffer.from('isom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41'));
  const moov = box('moov', box('mvhd', mvhdBody));
  const mdat = box('mdat', Buffer.alloc(opts.mdatBytes ?? 2000, 7));
  return opts.moovFirst === false ? Buffer.concat([ftyp, mdat, moov]) : Buffer.concat([ftyp, moov, mdat]);
}

export const fixtures = {
  /** A valid 2x2 RGB PNG. */
  png(): Buffer {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(2, 0);
    ihdr.writeUInt32BE(2, 4);
    ihdr.writeUInt8(8, 8); // bit depth
    ihdr.writeUInt8(2, 9); // RGB
    const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(raw)),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
  },
  mp4: (seconds = 4.25) => mp4({ seconds, moovFirst: false, mdatBytes: 6000 }),
  pdf: () => Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  /** A 64-bit little-endian ELF header followed by zeros. */
  elf: () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]),
  pe: () => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(126)]),
  machO: () => Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Buffer.alloc(120)]),
  html: () => Buffer.from('<!doctype html><html><body><script>fetch("/api/chats/active")</script></body></html>'),
  svg: () =>
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>',
    ),
  csv: () => Buffer.from('name,qty\napples,3\npears,5\n'),
};
