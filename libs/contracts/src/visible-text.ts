/**
 * Checks that keep invisible and direction-spoofing text out of messages (issue 21, item 13).
 * Unicode properties do the classifying, so new invisible characters come with the runtime's
 * Unicode tables rather than a hand-kept list.
 */

/**
 * Any character that draws something: not White_Space, not Default_Ignorable_Code_Point
 * (zero-width spaces and joiners, U+2060, U+FEFF, U+180E, bidi marks and controls, variation
 * selectors, Hangul fillers, tags), not a C0/C1 control, and not U+2800 (the blank Braille
 * cell, drawn as an empty square of space).
 */
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\u2800]/u;

/** Whether `text` has at least one character that draws something. */
export const hasVisibleText = (text: string): boolean => VISIBLE.test(text);

/** Embeddings and overrides (LRE, RLE, LRO, RLO) end with PDF; isolates (LRI, RLI, FSI) with PDI. */
const PDF = '\u202C';
const PDI = '\u2069';
const CLOSER_OF: Record<string, string> = {
  '\u202A': PDF,
  '\u202B': PDF,
  '\u202D': PDF,
  '\u202E': PDF,
  '\u2066': PDI,
  '\u2067': PDI,
  '\u2068': PDI,
};
const BIDI_NESTING = /[\u202A-\u202E\u2066-\u2069]/u;
/** Bidi_Class B: the bidi algorithm ends every embedding at these, so pairs must close before them. */
const PARAGRAPH_END = new Set(['\n', '\r', '\u001C', '\u001D', '\u001E', '\u0085', '\u2029']);

/**
 * Whether every bidi embedding, override and isolate that `text` opens is closed, in order
 * (the last opened first), on its own line, and nothing closes what the text did not open.
 * An open one would turn the text around it (a name, a timestamp, a preview in a list) right
 * to left; a stray closer would end the client's own isolate around the message early.
 */
export function bidiBalanced(text: string): boolean {
  if (!BIDI_NESTING.test(text)) return true;
  const expected: string[] = [];
  for (const ch of text) {
    const closer = CLOSER_OF[ch];
    if (closer) expected.push(closer);
    else if (ch === PDF || ch === PDI) {
      if (expected.pop() !== ch) return false;
    } else if (expected.length > 0 && PARAGRAPH_END.has(ch)) return false;
  }
  return expected.length === 0;
}
