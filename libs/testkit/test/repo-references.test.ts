import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A clone holds only what git tracks: every file the docs, comments and tests point at must be
// in it, and the README stays a front door that reaches every page of docs/.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const checkedExtensions = new Set(['.ts', '.mjs', '.js', '.md', '.yaml', '.yml']);

/** Files of another repository's notes that a clone does not have. */
const outsideFile = /\b(?:API|ARCHITECTURE|STYLE)\.md\b|\.\.\/shared\//;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path !== '' && !/(^|\/)(node_modules|dist)\//.test(path))
    .filter((path) => checkedExtensions.has(extname(path)) && existsSync(join(root, path)));
}

/** Text outside fenced code blocks and inline code spans, where links and headings live. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: its rendered text, lowercased, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file's headings produce, numbered as GitHub numbers repeats. */
function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of withoutCode.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const base = githubSlug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** What is wrong with each relative link of a Markdown file (a missing file, or an anchor no heading makes). */
function brokenLinks(path: string): string[] {
  const source = readFileSync(join(root, path), 'utf8');
  const problems: string[] = [];
  for (const match of prose(source).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [file = '', anchor] = target.split('#');
    const targetPath = file === '' ? join(root, path) : resolve(root, dirname(path), decodeURIComponent(file));
    const inRepo = relative(root, targetPath);
    if (inRepo.startsWith('..')) {
      problems.push(`${path}: ${target} points outside the repository`);
    } else if (!existsSync(targetPath)) {
      problems.push(`${path}: ${target} names a file that does not exist`);
    } else if (anchor !== undefined && targetPath.endsWith('.md') && statSync(targetPath).isFile()) {
      if (!anchorsOf(readFileSync(targetPath, 'utf8')).has(anchor)) {
        problems.push(`${path}: ${target} names an anchor no heading of ${inRepo} produces`);
      }
    }
  }
  return problems;
}

/**
 * The source files a page names in code spans that the clone lacks. A path from a top folder is
 * taken from the root (`s/` standing for `services/`), a shorter path must end some tracked
 * file's path, and a bare file name must be some tracked file's name.
 */
function missingSourceNames(path: string, tracked: readonly string[]): string[] {
  const source = readFileSync(join(root, path), 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const names = new Set(tracked.map((file) => file.slice(file.lastIndexOf('/') + 1)));
  const missing: string[] = [];
  for (const span of source.matchAll(/`([^`\n]+)`/g)) {
    const named = /^[\w./-]*?([\w-]+\.(?:ts|mjs|sh))$/.exec(span[1]!);
    if (!named) continue;
    const file = named[0].replace(/^s\//, 'services/');
    const exists = /^(?:services|libs|deploy|clients|k8s)\//.test(file)
      ? existsSync(join(root, file))
      : file.includes('/')
        ? tracked.some((candidate) => candidate.endsWith(`/${file}`))
        : names.has(named[1]!);
    if (!exists) missing.push(`${path}: ${span[1]}`);
  }
  return missing;
}

const docPages = trackedFiles().filter((path) => path === 'README.md' || /^docs\/[^/]+\.md$/.test(path));

describe('references a clone can follow', () => {
  it('no tracked file cites notes outside the repository (the contract is docs/api-guide.md)', () => {
    const citing = trackedFiles().filter((path) => outsideFile.test(readFileSync(join(root, path), 'utf8')));
    expect(citing).toEqual([]);
  });

  it('every relative link of the README and docs/ reaches an existing file and heading', () => {
    expect(docPages.length).toBeGreaterThan(1);
    expect(docPages.flatMap(brokenLinks)).toEqual([]);
  });

  it('every source file the README and docs/ name exists (a rename updates the page)', () => {
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
    expect(docPages.flatMap((path) => missingSourceNames(path, tracked))).toEqual([]);
  });

  it('the README stays a front door: at most 12 KB, and it links every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
    const unlinked = docPages.filter((path) => path.startsWith('docs/') && !readme.includes(`](${path}`));
    expect(unlinked).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    expect(githubSlug('Limits (defaults; server configuration)')).toBe('limits-defaults-server-configuration');
    expect(githubSlug('Sending reliably: `clientMessageId`')).toBe('sending-reliably-clientmessageid');
    expect(githubSlug('Handshake refusals (`connect_error`)')).toBe('handshake-refusals-connect_error');
    expect(githubSlug('The store: FerretDB')).toBe('the-store-ferretdb');
    expect([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
  });

  it('finds a source file a page names that the clone lacks', () => {
    expect(missingSourceNames('docs/architecture.md', ['docs/architecture.md'])).not.toEqual([]);
  });

  it('finds a broken link and a citation of notes outside the repository', () => {
    expect(anchorsOf('## Where it is').has('where-it-is')).toBe(true);
    expect(outsideFile.test(['see ', 'API', '.md'].join(''))).toBe(true);
    expect(outsideFile.test('see docs/api-guide.md')).toBe(false);
  });
});
