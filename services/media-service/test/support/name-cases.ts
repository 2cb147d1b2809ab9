import { expect, it } from 'vitest';
import { mediaFileCheck } from '@chat/contracts';
import { fixtures } from './fixtures.js';
import type { MediaWorld } from './media-world.js';

/** Text without a signature (detected text/plain), and bytes with none that are not text. */
const script = () => Buffer.from('@echo off\r\nrem what a script would hold\r\n');
const binary = () => Buffer.from([0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);

/** Each executable or script extension the issue names, as text and as binary, and the name it must get. */
const DANGEROUS: Array<[name: string, bytes: () => Buffer, safe: string]> = [
  ...['bat', 'cmd', 'ps1', 'vbs', 'js', 'hta', 'sh', 'wsf', 'reg', 'py'].map(
    (ext) => [`run.${ext}`, script, 'run.txt'] as [string, () => Buffer, string],
  ),
  ...['lnk', 'jar', 'msi', 'scr', 'exe', 'com', 'pif', 'cpl', 'dll', 'app', 'deb'].map(
    (ext) => [`setup.${ext}`, binary, 'setup.bin'] as [string, () => Buffer, string],
  ),
  ['SETUP.EXE', binary, 'SETUP.bin'],
  ['invoice.pdf.exe', fixtures.pdf, 'invoice.pdf.bin'],
  ['photo.jpg.scr', fixtures.png, 'photo.jpg.bin'],
  // Windows saves `run.bat.` and `run.bat ` as `run.bat`.
  ['run.bat.', script, 'run.txt'],
  ['run.bat. . ', script, 'run.txt'],
  ['.bat', script, '.txt'],
];
const LEGIT: Array<[name: string, bytes: () => Buffer]> = [
  ['photo.jpg', fixtures.png],
  ['notes.txt', script],
  ['report.pdf', fixtures.pdf],
  ['data.csv', fixtures.csv],
  ['page.html', fixtures.html],
  ['archive.tar.gz', binary],
  ['README', script],
];

/** Item: downloads cannot run. The name shown and downloaded never ends in an unjustified executable extension. */
export function nameCases(w: MediaWorld) {
  const check = (fileId: string) =>
    w.bus.request(mediaFileCheck, { fileId, chatId: w.chatId, userId: w.bob }, { userId: w.bob });

  /** The name in each place a file's name shows: upload answer, metadata, send_media's media, the download. */
  async function namesOf(name: string, bytes: Buffer) {
    const up = await w.upload(w.bob, [
      ['chatId', w.chatId],
      ['file', bytes, name],
    ]);
    expect(up.status, name).toBe(200);
    const { fileId, url } = up.body.data;
    const metadata = await w.as(w.alice).get(`/api/media/${fileId}/metadata`);
    const checked = await check(fileId);
    const served = await fetch(url);
    expect(served.status).toBe(200);
    await served.arrayBuffer();
    const disposition = served.headers.get('content-disposition');
    return {
      uploaded: up.body.data.fileName,
      metadata: metadata.body.data.fileName,
      media: checked.media?.fileName,
      // Local files are served by us under the record's name; ImageKit's CDN serves a random
      // name with the detected type's extension or .bin (checked in file-cases).
      download: w.kind === 'local' ? /filename="?([^";]*)"?$/.exec(disposition ?? '')?.[1] : undefined,
    };
  }

  it('an executable or script extension the bytes do not justify is replaced: .txt for text, .bin otherwise, everywhere the name shows', async () => {
    for (const [name, bytes, safe] of DANGEROUS) {
      const names = await namesOf(name, bytes());
      expect(names, name).toEqual({
        uploaded: safe,
        metadata: safe,
        media: safe,
        download: w.kind === 'local' ? safe : undefined,
      });
    }
  });

  it('a name without such an extension is kept as it was sent', async () => {
    for (const [name, bytes] of LEGIT) {
      const names = await namesOf(name, bytes());
      expect(names, name).toEqual({
        uploaded: name,
        metadata: name,
        media: name,
        download: w.kind === 'local' ? name : undefined,
      });
    }
  });
}
