/**
 * One message content of each kind that must be refused as invisible or spoofing (the contracts'
 * unit test holds the full list), for the tests that send them through a service.
 */
export const INVISIBLE_CONTENT: Readonly<Record<string, string>> = {
  whitespace: ' \u00A0\u3000\t\n ',
  'zero-width characters': '\u200B\u200C\u200D\u2060\uFEFF\u180E',
  'bidi controls': '\u202A\u202C\u2067\u2069\u200E\u200F\u061C',
  'variation selectors': '\uFE0F\uFE0E',
  'an unclosed right-to-left override': 'photo_\u202Egnp.exe',
  'a stray isolate closer': 'hello\u2069',
};
