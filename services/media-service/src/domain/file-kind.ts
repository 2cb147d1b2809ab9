import type { MediaMessageType } from '@chat/contracts';

/**
 * What an uploaded file is, decided from its first bytes (never from the client's name or
 * MIME header), and which size limit applies to it.
 */
export type { MediaMessageType };

/** What a signature library found in the first bytes, if anything (`file-type`'s result). */
export interface DetectedSignature {
  ext: string;
  mime: string;
}

export type FileKind =
  | { accepted: true; mime: string; ext: string; messageType: MediaMessageType }
  | { accepted: false; reason: 'EXECUTABLE'; mime: string };

export interface SizeLimits {
  image: number;
  video: number;
  file: number;
}

/** How many leading bytes are enough to tell a type (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

const EXECUTABLE_MIMES = new Set([
  'application/x-elf',
  'application/x-msdownload',
  'application/x-mach-binary',
  'application/x-executable',
  'application/x-sharedlib',
  'application/vnd.microsoft.portable-executable',
  'application/x-dosexec',
]);
const EXECUTABLE_EXTS = new Set(['exe', 'elf', 'macho', 'dll']);

const startsWith = (head: Uint8Array, bytes: number[]) => bytes.every((b, i) => head[i] === b);

/** ELF, PE (MZ), Mach-O (thin and fat) and `#!` scripts, checked on the bytes themselves as well. */
export function looksExecutable(head: Uint8Array, detected?: DetectedSignature): boolean {
  if (detected && (EXECUTABLE_MIMES.has(detected.mime) || EXECUTABLE_EXTS.has(detected.ext))) return true;
  return (
    startsWith(head, [0x23, 0x21]) || // #!
    startsWith(head, [0x7f, 0x45, 0x4c, 0x46]) || // \x7fELF
    startsWith(head, [0x4d, 0x5a]) || // MZ
    startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
    startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
    startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
    startsWith(head, [0xcf, 0xfa, 0xed, 0xfe])
  );
}

/** Text when the sample has no NUL byte and decodes as UTF-8 (a cut-off last character is fine). */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  // Drop up to 3 trailing bytes that may be a multi-byte character cut by the sample's end.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try with one byte less
    }
  }
  return false;
}

export const messageTypeOfMime = (mime: string): MediaMessageType =>
  mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : 'file';

/**
 * Classifies a file from its first bytes. Executables are refused unless allowed; a file with
 * no recognisable signature is a `file` (text/plain when it reads as text).
 */
export function classifyFile(
  head: Uint8Array,
  detected: DetectedSignature | undefined,
  opts: { allowExecutables: boolean },
): FileKind {
  if (!opts.allowExecutables && looksExecutable(head, detected)) {
    return { accepted: false, reason: 'EXECUTABLE', mime: detected?.mime ?? 'application/octet-stream' };
  }
  if (detected)
    return { accepted: true, mime: detected.mime, ext: detected.ext, messageType: messageTypeOfMime(detected.mime) };
  const text = looksLikeText(head);
  return {
    accepted: true,
    mime: text ? 'text/plain' : 'application/octet-stream',
    ext: text ? 'txt' : 'bin',
    messageType: 'file',
  };
}

export const sizeLimitFor = (messageType: MediaMessageType, limits: SizeLimits): number => limits[messageType];

/** The largest file any type may be: the hard cap for a single part. */
export const largestLimit = (limits: SizeLimits): number => Math.max(limits.image, limits.video, limits.file);

/**
 * The name a file keeps: its base name without control characters, at most 200 characters,
 * or `file.<ext>` when nothing is left.
 */
export function cleanFileName(original: string | undefined, ext: string): string {
  const base = (original ?? '').split(/[\\/]/).pop() ?? '';
  // Control characters, and format characters (bidi overrides that make `gpj.exe` read as
  // `exe.jpg`, zero-width spaces that hide in a name) never reach a name shown to people.
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]|\p{Cf}/gu, '').trim();
  const name = [...cleaned].slice(0, 200).join('');
  return name && name !== '.' && name !== '..' ? name : `file.${ext}`;
}
