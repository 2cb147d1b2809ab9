/**
 * How a locally stored file is served from our origin. Only types a browser shows as inert
 * media are served inline under their own type; everything else (HTML, SVG, XML, text,
 * scripts, archives...) is a download of `application/octet-stream`, so an uploaded page can
 * never run as a page of our origin.
 */
const INLINE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
};

export interface ServingHeaders {
  contentType: string;
  disposition: 'inline' | 'attachment';
}

export function servingHeadersFor(ext: string): ServingHeaders {
  const type = Object.hasOwn(INLINE_TYPES, ext) ? INLINE_TYPES[ext] : undefined;
  return type
    ? { contentType: type, disposition: 'inline' }
    : { contentType: 'application/octet-stream', disposition: 'attachment' };
}

/**
 * The extension a file gets on a CDN that serves by extension (ImageKit): its own for inert
 * media, `bin` for everything else, so an uploaded page or SVG is a download there too.
 */
export const cdnExtension = (ext: string): string => (Object.hasOwn(INLINE_TYPES, ext) ? ext : 'bin');

/** A stored file's name: at least 128 random bits (base64url) and a short extension. */
export const STORED_NAME = /^([A-Za-z0-9_-]{22,64})\.([a-z0-9]{1,10})$/;

/** The headers every served file gets: no sniffing, no scripts, no framing, embeddable cross-origin. */
export const FILE_SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cache-Control': 'private, max-age=86400',
};
