import { describe, expect, it } from 'vitest';
import { fileTypeFromBuffer } from 'file-type';
import { classifyFile, cleanFileName, looksExecutable, looksLikeText } from '../src/domain/file-kind.js';
import { mp4DurationSeconds } from '../src/domain/mp4-duration.js';
import { servingHeadersFor, STORED_NAME } from '../src/domain/serving.js';
import { decideFileAccess } from '../src/domain/access.js';
import { fixtures, mp4 } from './support/fixtures.js';

const classify = async (bytes: Buffer, allowExecutables = false) =>
  classifyFile(bytes, await fileTypeFromBuffer(bytes), { allowExecutables });

describe('classifyFile: the type comes from the bytes', () => {
  it('a PNG is an image, an MP4 a video, a PDF a file', async () => {
    expect(await classify(fixtures.png())).toMatchObject({
      accepted: true,
      mime: 'image/png',
      ext: 'png',
      messageType: 'image',
    });
    expect(await classify(fixtures.mp4())).toMatchObject({ accepted: true, mime: 'video/mp4', messageType: 'video' });
    expect(await classify(fixtures.pdf())).toMatchObject({
      accepted: true,
      mime: 'application/pdf',
      messageType: 'file',
    });
  });

  it('ELF, PE, Mach-O and #! scripts are refused as executables', async () => {
    for (const bytes of [fixtures.elf(), fixtures.pe(), fixtures.machO(), Buffer.from('#!/bin/sh\nrm -rf /\n')]) {
      expect(await classify(bytes)).toMatchObject({ accepted: false, reason: 'EXECUTABLE' });
      expect(looksExecutable(bytes)).toBe(true);
    }
  });

  it('executables pass when configured to be allowed', async () => {
    expect(await classify(fixtures.elf(), true)).toMatchObject({ accepted: true, messageType: 'file' });
  });

  it('a file without a signature is a file: text/plain when it reads as text, else octet-stream', async () => {
    expect(await classify(Buffer.from('name,age\nzoë,3\n'))).toMatchObject({
      accepted: true,
      mime: 'text/plain',
      ext: 'txt',
      messageType: 'file',
    });
    expect(await classify(Buffer.from([1, 2, 0, 3, 250, 251]))).toMatchObject({
      mime: 'application/octet-stream',
      ext: 'bin',
    });
    expect(await classify(fixtures.html())).toMatchObject({ accepted: true, messageType: 'file' });
  });

  it('looksLikeText tolerates a multi-byte character cut at the end of the sample', () => {
    const s = Buffer.from('héllo €');
    expect(looksLikeText(s.subarray(0, s.length - 1))).toBe(true);
    expect(looksLikeText(Buffer.from([0xff, 0xfe, 0x41, 0x00]))).toBe(false);
  });
});

describe('cleanFileName', () => {
  it('keeps the base name, drops control characters and path parts, bounds the length', () => {
    expect(cleanFileName('../../etc/passwd', 'txt')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\me\\photo.png', 'png')).toBe('photo.png');
    expect(cleanFileName('a\u0000b\nc.pdf', 'pdf')).toBe('abc.pdf');
    // Right-to-left override: shown as "invoice_fdp.exe" read backwards; zero-width and BOM too.
    expect(cleanFileName('invoice_\u202Egpj.exe', 'bin')).toBe('invoice_gpj.exe');
    expect(cleanFileName('re\u200Bport\u2066.pdf\uFEFF', 'pdf')).toBe('report.pdf');
    expect(cleanFileName('', 'png')).toBe('file.png');
    expect(cleanFileName('..', 'bin')).toBe('file.bin');
    expect([...cleanFileName('x'.repeat(1000), 'txt')].length).toBe(200);
  });
});

describe('mp4DurationSeconds', () => {
  const reader = (buf: Buffer) => async (offset: number, length: number) => buf.subarray(offset, offset + length);

  it('reads mvhd when moov comes first (fast start) and when it comes after the media data', async () => {
    const front = mp4({ seconds: 12.5, moovFirst: true, mdatBytes: 5000 });
    const back = mp4({ seconds: 3, moovFirst: false, mdatBytes: 5000 });
    expect(await mp4DurationSeconds(reader(front), front.length)).toBe(12.5);
    expect(await mp4DurationSeconds(reader(back), back.length)).toBe(3);
  });

  it('reads a version 1 (64-bit) mvhd', async () => {
    const v1 = mp4({ seconds: 7, version: 1 });
    expect(await mp4DurationSeconds(reader(v1), v1.length)).toBe(7);
  });

  it('gives undefined for a file without moov or with a broken box size', async () => {
    const noMoov = fixtures.pdf();
    expect(await mp4DurationSeconds(reader(noMoov), noMoov.length)).toBeUndefined();
    const broken = Buffer.from(mp4({ seconds: 1 }));
    broken.writeUInt32BE(0xffffff, 0); // ftyp claims to run past the end
    expect(await mp4DurationSeconds(reader(broken), broken.length)).toBeUndefined();
  });
});

describe('servingHeadersFor: what a browser may render from our origin', () => {
  it('serves inert media inline under its own type', () => {
    expect(servingHeadersFor('png')).toEqual({ contentType: 'image/png', disposition: 'inline' });
    expect(servingHeadersFor('mp4')).toEqual({ contentType: 'video/mp4', disposition: 'inline' });
    expect(servingHeadersFor('pdf')).toEqual({ contentType: 'application/pdf', disposition: 'inline' });
  });

  it('serves HTML, SVG, XML, text and anything else as an octet-stream download', () => {
    for (const ext of ['html', 'svg', 'xml', 'txt', 'bin', 'js', 'constructor', '__proto__']) {
      expect(servingHeadersFor(ext)).toEqual({ contentType: 'application/octet-stream', disposition: 'attachment' });
    }
  });

  it('stored names are long random ids with a short extension, nothing else', () => {
    expect(STORED_NAME.test('A'.repeat(32) + '.png')).toBe(true);
    for (const bad of [
      'short.png',
      `${'a'.repeat(32)}.png/..`,
      `../${'a'.repeat(32)}.png`,
      `${'a'.repeat(32)}`,
      `${'a'.repeat(32)}.PNG`,
    ]) {
      expect(STORED_NAME.test(bad)).toBe(false);
    }
  });
});

describe('decideFileAccess', () => {
  it('the uploader may read and delete; a participant may only read; a stranger learns nothing', () => {
    expect(decideFileAccess('metadata', true, false)).toBe('allowed');
    expect(decideFileAccess('delete', true, false)).toBe('allowed');
    expect(decideFileAccess('metadata', false, true)).toBe('allowed');
    expect(decideFileAccess('delete', false, true)).toBe('forbidden');
    expect(decideFileAccess('metadata', false, false)).toBe('not_found');
    expect(decideFileAccess('delete', false, false)).toBe('not_found');
  });
});
