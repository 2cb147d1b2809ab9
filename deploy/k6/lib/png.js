// A valid PNG made in the script (no fixture to ship or mount): 8-bit RGB, one IDAT whose
// zlib stream uses stored (uncompressed) deflate blocks, so it needs no compressor, only
// CRC-32 per chunk and Adler-32 over the image data. media-service detects it as image/png
// from its bytes.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes) {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const u32 = (n) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ascii = (s) => Array.from(s, (ch) => ch.charCodeAt(0));

function chunk(type, data) {
  const body = new Uint8Array(4 + data.length);
  body.set(ascii(type), 0);
  body.set(data, 4);
  const out = new Uint8Array(12 + data.length);
  out.set(u32(data.length), 0);
  out.set(body, 4);
  out.set(u32(crc32(body)), 8 + data.length);
  return out;
}

/** zlib stream of `raw` in stored deflate blocks (at most 65535 bytes each). */
function zlibStored(raw) {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + blocks * 5 + raw.length + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no preset dictionary, lowest level; (0x78 << 8 | 0x01) % 31 === 0
  let o = 2;
  for (let i = 0; i < blocks; i++) {
    const part = raw.subarray(i * 65535, Math.min(raw.length, (i + 1) * 65535));
    out[o++] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE=00 (stored)
    out[o++] = part.length & 0xff;
    out[o++] = part.length >>> 8;
    out[o++] = ~part.length & 0xff;
    out[o++] = (~part.length >>> 8) & 0xff;
    out.set(part, o);
    o += part.length;
  }
  out.set(u32(adler32(raw)), o);
  return out;
}

/** A `size` x `size` RGB PNG of a gradient shifted by `seed` (so images differ), as bytes. */
export function makePng(size, seed) {
  const row = 1 + size * 3; // filter byte 0 (None), then RGB
  const raw = new Uint8Array(row * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * row + 1 + x * 3;
      raw[p] = (x * 4 + seed) & 0xff;
      raw[p + 1] = (y * 4 + seed * 7) & 0xff;
      raw[p + 2] = (x + y + seed * 13) & 0xff;
    }
  }
  const ihdr = new Uint8Array([...u32(size), ...u32(size), 8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibStored(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    png.set(p, o);
    o += p.length;
  }
  return png;
}

/**
 * A multipart/form-data body with text fields first and then one file part: the API asks
 * for `chatId` before the file (it refuses a stranger's chat before storing bytes), and an
 * object body would leave the part order to k6. Names and values must be ASCII.
 */
export function multipartBody(fields, file) {
  const boundary = `----k6${Date.now().toString(16)}${Math.floor(Math.random() * 1e9).toString(16)}`;
  let head = '';
  for (const name of Object.keys(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${fields[name]}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const out = new Uint8Array(head.length + file.data.length + tail.length);
  out.set(ascii(head), 0);
  out.set(file.data, head.length);
  out.set(ascii(tail), head.length + file.data.length);
  return { body: out.buffer, contentType: `multipart/form-data; boundary=${boundary}` };
}
