import { describe, expect, it } from 'vitest';
import { EXECUTABLE_EXTENSIONS, safeDownloadName } from '../src/domain/download-name.js';

const safe = (name: string, mime: string, allowExecutables = false) =>
  safeDownloadName(name, mime, { allowExecutables });

describe('safeDownloadName: a download never ends in an executable extension its bytes do not justify', () => {
  it('every extension the issue names is on the list', () => {
    for (const ext of 'bat cmd ps1 vbs js hta lnk jar msi scr exe sh com pif wsf reg cpl'.split(' ')) {
      expect(EXECUTABLE_EXTENSIONS.has(ext), ext).toBe(true);
    }
  });

  it('keeps the base name and replaces the extension: .txt for text, .bin for anything else', () => {
    expect(safe('run.bat', 'text/plain')).toBe('run.txt');
    expect(safe('deploy.PS1', 'text/plain')).toBe('deploy.txt');
    expect(safe('setup.exe', 'application/octet-stream')).toBe('setup.bin');
    expect(safe('invoice.pdf.exe', 'application/pdf')).toBe('invoice.pdf.bin');
    expect(safe('photo.jpg.scr', 'image/png')).toBe('photo.jpg.bin');
    expect(safe('.bat', 'text/plain')).toBe('.txt');
  });

  it('reads the extension as Windows saves the name: without trailing dots and spaces', () => {
    expect(safe('run.bat.', 'text/plain')).toBe('run.txt');
    expect(safe('run.bat . .', 'text/plain')).toBe('run.txt');
  });

  it('keeps names without such an extension as they are', () => {
    for (const name of ['photo.jpg', 'notes.txt', 'report.pdf', 'page.html', 'archive.tar.gz', 'README', 'v1.2.']) {
      expect(safe(name, 'text/plain')).toBe(name);
    }
  });

  it('a detected type justifies its own extensions only where executables are allowed', () => {
    expect(safe('app.jar', 'application/java-archive')).toBe('app.bin');
    expect(safe('app.jar', 'application/java-archive', true)).toBe('app.jar');
    expect(safe('setup.exe', 'application/x-msdownload', true)).toBe('setup.exe');
    // text/plain lists none of them, so a script stays renamed even then
    expect(safe('run.js', 'text/plain', true)).toBe('run.txt');
    expect(safe('setup.exe', 'application/zip', true)).toBe('setup.bin');
  });
});
