import { describe, expect, it } from 'vitest';
import { messageContent } from '../src/message.js';

/** Text that looks empty, each with the characters it is made of (issue 21, item 13). */
const INVISIBLE_CONTENTS: Record<string, string> = {
  'zero-width space': '\u200B',
  'zero-width non-joiner and joiner': '\u200C\u200D',
  'word joiner': '\u2060',
  'byte order mark and zero-width space': '\uFEFF\u200B',
  'Mongolian vowel separator': '\u180E',
  'left-to-right and right-to-left marks': '\u200E\u200F',
  'Arabic letter mark': '\u061C',
  'a closed embedding around nothing': '\u202B\u202C',
  'a closed isolate around nothing': '\u2066\u2069',
  'variation selectors': '\uFE0F\uFE0E',
  'a supplementary variation selector': '\u{E0100}',
  'a tag character': '\u{E0041}',
  'Hangul fillers': '\u3164\u115F',
  'a blank Braille cell': '\u2800',
  'no-break and ideographic spaces': '\u00A0\u3000',
  'soft hyphen': '\u00AD',
  'whitespace, zero-width and marks mixed': ' \u200B\t\n\u200E\u2028 \uFEFF',
  'a control character': '\u0007',
};

/** Text whose bidi controls are not closed, or close what was not opened. */
const UNPAIRED_BIDI: Record<string, string> = {
  'right-to-left override never closed': 'invoice_\u202Egpj.exe',
  'embedding never closed': '\u202Bשלום',
  'isolate never closed': 'hi \u2067שלום',
  'a stray pop directional formatting': 'abc\u202C',
  'a stray pop directional isolate': 'abc\u2069',
  'crossed: embedding closed by PDI': '\u202Bx\u2069',
  'crossed: isolate and embedding interleaved': '\u2066\u202Bx\u2069\u202C',
  'closed on the next line only': '\u202Ex\ny\u202C',
  'one closer too many': '\u2067x\u2069\u2069',
};

const parse = (text: string) => messageContent(100).safeParse(text);
const firstIssue = (text: string) => {
  const parsed = parse(text);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
};

describe('message content (send, caption, edit)', () => {
  it.each(Object.entries(INVISIBLE_CONTENTS))('refuses content that is only %s', (_name, text) => {
    expect(parse(text).success).toBe(false);
  });

  it('says why: empty when trimming leaves nothing, else no visible text', () => {
    expect(firstIssue(' \n\t ')).toBe('must not be empty');
    expect(firstIssue('\u200B')).toMatch(/must contain visible text/);
  });

  it.each(Object.entries(UNPAIRED_BIDI))('refuses %s', (_name, text) => {
    expect(firstIssue(text)).toMatch(/bidi embedding, override and isolate/);
  });

  it.each([
    ['a zero-width space between letters', 'a\u200Bb'],
    ['Hebrew', 'שלום'],
    ['a closed embedding around Hebrew', '\u202Bשלום\u202C and more'],
    ['nested and closed: isolate inside embedding', '\u202B\u2067x\u2069y\u202C'],
    ['closed isolates on two lines', '\u2067a\u2069\n\u2068b\u2069'],
    ['a right-to-left mark before text', '\u200F hi'],
    ['an emoji with its variation selector', '❤️'],
    ['a ZWJ family', '👨‍👩‍👧'],
    ['a letter with a combining accent', 'e\u0301'],
  ])('accepts %s', (_name, text) => {
    expect(parse(text)).toMatchObject({ success: true, data: text.trim() });
  });

  it('still trims, bounds the length and refuses NUL', () => {
    expect(parse('  hi  ')).toMatchObject({ success: true, data: 'hi' });
    expect(firstIssue('x'.repeat(101))).toMatch(/at most 100/);
    expect(firstIssue('a\u0000b')).toMatch(/NUL/);
  });
});
