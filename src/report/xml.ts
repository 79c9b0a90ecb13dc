/** Text helpers shared by the SVG charts and the HTML page. */

/**
 * Characters XML 1.0 forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF). A label
 * read from a data file can hold any of them, and one is enough to make an SVG file unparseable.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML 1.0 forbids
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for XML/HTML content and attribute values, and replaces characters XML cannot hold
 * with U+FFFD.
 *
 * @param s any text (non-strings are converted with `String`)
 * @returns text safe between tags and inside double- or single-quoted attributes
 */
export function escapeXml(s: unknown): string {
  return String(s)
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Shortens text to at most `max` characters (code points), marking the cut with "…". Cutting in
 * the middle keeps both ends, which tells apart labels that share a long prefix
 * ("category_sports" / "category_science").
 *
 * @returns the text itself when it fits
 */
export function truncate(text: string, max: number, where: 'end' | 'middle' = 'end'): string {
  const chars = Array.from(text); // code points, so an emoji is never split in half
  if (chars.length <= max) return text;
  const keep = Math.max(1, max - 1);
  if (where === 'end') return `${chars.slice(0, keep).join('')}…`;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

/**
 * A rough width of text in pixels for a sans-serif font: enough to lay out legends and label
 * margins without measuring (there is no DOM here).
 */
export function textWidth(text: string, fontSize: number): number {
  return Array.from(text).length * fontSize * 0.6;
}

/** Rounds a coordinate to 0.1 px: shorter SVG, no visible difference. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}
