/**
 * Turning a raw e-mail (RFC 822 headers + MIME body) into classifier text: the subject and the
 * readable body, with headers, attachments, transfer encodings and HTML markup removed.
 */

/** Headers (lower-case names, folded lines joined) and the body of one message or MIME part. */
interface MessagePart {
  headers: Map<string, string>;
  body: string;
}

/** Readable text of a part, and whether it came from HTML (plain text wins in multipart/alternative). */
interface PartText {
  text: string;
  html: boolean;
}

/** Nested multiparts deeper than this are not opened (malformed or hostile mail). */
const MAX_DEPTH = 8;

function parsePart(raw: string): MessagePart {
  const text = raw.replace(/\r\n?/g, '\n');
  // A part that starts with a blank line has no headers: all of it is body.
  if (/^[ \t]*\n/.test(text)) return { headers: new Map(), body: text.replace(/^[ \t]*\n/, '') };
  const end = text.search(/\n[ \t]*\n/);
  const headerBlock = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(text.indexOf('\n', end + 1) + 1);
  const headers = new Map<string, string>();
  // A line that starts with white space continues the header above it (RFC 5322 folding).
  for (const line of headerBlock.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    // Lines without a name (the mbox "From " envelope line) are not headers.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** A parameter of a structured header: `boundary` in `multipart/mixed; boundary="=_x"`. */
function headerParam(value: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Decodes bytes in the part's charset; unknown charsets fall back to Latin-1 (every byte is a character). */
function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(label === 'us-ascii' ? 'utf-8' : label).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/** The bytes of a string whose characters are byte values (characters above 255, already decoded, as UTF-8). */
function bytesOf(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (code < 256) out.push(code);
    else out.push(...Buffer.from(ch, 'utf8'));
  }
  return out;
}

/** Quoted-printable: `=XX` is a byte, `=` at a line end joins the lines. */
function decodeQuotedPrintable(s: string, charset: string | undefined): string {
  const joined = s.replace(/=[ \t]*\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? joined.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...bytesOf(joined[i] as string));
    }
  }
  return decodeBytes(Uint8Array.from(bytes), charset);
}

/** RFC 2047 encoded words in headers: `=?iso-8859-1?Q?caf=E9?=` → "café". */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[bq]\?[^?\s]*\?=)\s+(?==\?)/gi, '$1')
    .replace(/=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=/gi, (_, charset: string, kind: string, data: string) => {
      if (kind.toLowerCase() === 'b') return decodeBytes(Buffer.from(data, 'base64'), charset);
      return decodeQuotedPrintable(data.replace(/_/g, ' '), charset);
    });
}

const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  mdash: '—',
  ndash: '–',
  hellip: '…',
};

/** Character references: `&amp;`, `&#233;`, `&#xE9;`; unknown names are kept. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Removes markup: comments, scripts and styles with their content, then every tag; decodes entities. */
export function stripHtml(html: string): string {
  const noBlocks = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  return decodeEntities(noBlocks.replace(/<\/?[a-z!][^>]*>/gi, ' '));
}

/** Some "text/plain" spam is HTML; tags such as <html>, <p> or <font> give it away. */
const LOOKS_LIKE_HTML = /<(html|body|p|br|div|table|font|a\s+href|img)\b/i;

/** Headers that only mail software writes: a body that starts with one starts with a pasted header block. */
const ROUTING_HEADER = /^(Return-Path|Received|Delivered-To|Message-I[Dd]|MIME-Version|Content-Type|X-[\w-]+):/i;

/** Drops a header block pasted at the top of a body (a forward without message/rfc822). */
function dropPastedHeaders(body: string): string {
  const lines = body.replace(/^\s*\n/, '').split('\n');
  if (!ROUTING_HEADER.test(lines[0] ?? '')) return body;
  let i = 0;
  while (i < lines.length && lines[i]!.trim() !== '' && (/^[\w-]+:/.test(lines[i]!) || /^[ \t]/.test(lines[i]!))) i++;
  return lines.slice(i).join('\n');
}

/** The readable text of a part and its sub-parts; null for attachments and non-text parts. */
function partText(part: MessagePart, depth: number): PartText | null {
  const contentType = part.headers.get('content-type') ?? 'text/plain';
  const type = (contentType.split(';')[0] as string).trim().toLowerCase() || 'text/plain';
  const disposition = part.headers.get('content-disposition') ?? '';
  if (/^\s*attachment/i.test(disposition) && !type.startsWith('multipart/')) return null;

  if (type.startsWith('multipart/')) {
    const boundary = headerParam(contentType, 'boundary');
    if (!boundary || depth >= MAX_DEPTH) return { text: part.body, html: LOOKS_LIKE_HTML.test(part.body) };
    const texts = splitMultipart(part.body, boundary)
      .map((raw) => partText(parsePart(raw), depth + 1))
      .filter((t): t is PartText => t !== null && t.text.trim() !== '');
    if (texts.length === 0) return null;
    if (type === 'multipart/alternative') return texts.find((t) => !t.html) ?? (texts[0] as PartText);
    return { text: texts.map((t) => t.text).join('\n'), html: false };
  }
  if (type === 'message/rfc822') return depth >= MAX_DEPTH ? null : partText(parsePart(part.body), depth + 1);
  if (!type.startsWith('text/')) return null;

  const charset = headerParam(contentType, 'charset');
  const encoding = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let text = part.body;
  if (encoding === 'quoted-printable') text = decodeQuotedPrintable(text, charset);
  else if (encoding === 'base64') text = decodeBytes(Buffer.from(text.replace(/\s+/g, ''), 'base64'), charset);
  text = dropPastedHeaders(text);
  const html = type === 'text/html' || LOOKS_LIKE_HTML.test(text);
  return { text: html ? stripHtml(text) : text, html };
}

/** The raw parts between `--boundary` lines (the preamble and epilogue are dropped). */
function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) {
      if (current) parts.push(current.join('\n'));
      return parts;
    }
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current.join('\n'));
      current = [];
      continue;
    }
    current?.push(line);
  }
  // No closing boundary: keep the last part as it is.
  if (current && current.length > 0) parts.push(current.join('\n'));
  return parts;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Cuts at the last space before `max` characters when there is one close by, else at `max`. */
function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const space = s.lastIndexOf(' ', max);
  return (space > max * 0.8 ? s.slice(0, space) : s.slice(0, max)).trimEnd();
}

/**
 * Classifier text of a raw e-mail: the decoded Subject, a line break, then the body with headers,
 * attachments and HTML removed and white space collapsed; at most `maxChars` characters.
 */
export function emailToText(raw: string, maxChars = 2000): string {
  const message = parsePart(raw);
  const subject = collapse(decodeEncodedWords(message.headers.get('subject') ?? ''));
  const body = collapse(partText(message, 0)?.text ?? '');
  return truncate([subject, body].filter((s) => s !== '').join('\n'), maxChars);
}
