import { randomBytes } from 'node:crypto';

/** A FormData with the parts in the given order (the order matters to a streaming parser). */
export function form(
  parts: Array<[name: string, value: string] | [name: string, bytes: Buffer, fileName: string, type?: string]>,
): FormData {
  const fd = new FormData();
  for (const part of parts) {
    if (part.length === 2) fd.append(part[0], part[1]);
    else
      fd.append(part[0], new Blob([new Uint8Array(part[1])], { type: part[3] ?? 'application/octet-stream' }), part[2]);
  }
  return fd;
}

export interface GeneratedFileOptions {
  chatId: string;
  fileName: string;
  head: Buffer;
  totalBytes: number;
  /** Send the `chatId` field after the file (as the specification's own client does), not before. */
  chatIdLast?: boolean;
  /** Called once after this many bytes of the file were handed to fetch (the body pauses meanwhile). */
  pauseAt?: { bytes: number; run: () => Promise<void> };
  signal?: AbortSignal;
}

/**
 * POSTs a multipart body whose file part is `totalBytes` long, generated chunk by chunk
 * (one 1 MiB buffer reused), so neither the test nor the server ever needs it whole.
 */
export async function postGeneratedFile(
  url: string,
  token: string,
  opts: GeneratedFileOptions,
): Promise<{ status: number; headers: Headers; body: any }> {
  const boundary = `----gen${randomBytes(8).toString('hex')}`;
  const filler = Buffer.alloc(1024 * 1024, 0x41);
  const chatIdPart = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="chatId"\r\n\r\n${opts.chatId}\r\n`,
  );
  async function* body() {
    if (!opts.chatIdLast) yield chatIdPart;
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.fileName}"\r\nContent-Type: image/png\r\n\r\n`,
    );
    yield opts.head;
    let sent = opts.head.length;
    let paused = false;
    while (sent < opts.totalBytes) {
      const n = Math.min(opts.totalBytes - sent, filler.length);
      yield n === filler.length ? filler : filler.subarray(0, n);
      sent += n;
      if (opts.pauseAt && !paused && sent >= opts.pauseAt.bytes) {
        paused = true;
        await opts.pauseAt.run();
      }
    }
    yield Buffer.from('\r\n');
    if (opts.chatIdLast) yield chatIdPart;
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: body() as unknown as RequestInit['body'],
    duplex: 'half',
    signal: opts.signal,
  } as RequestInit);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
