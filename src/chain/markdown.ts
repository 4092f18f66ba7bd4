/**
 * Text from users and the provider (prompts, task ids, URLs, reasons) in the Web UI's Markdown details:
 * one line, every Markdown and HTML special character escaped, so it can neither end its table cell nor
 * add a heading, a link, an image or HTML; a link only to an http(s) URL, percent-encoded so it cannot end
 * the link early, and without credentials. Workflow code: pure string functions (no node:url, no URL).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Plain text as Markdown: one line, at most `max` characters of the original. */
export function mdText(text: string, max = Infinity): string {
  const line = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  const cut = line.length > max ? `${line.slice(0, max)}…` : line;
  return cut.replace(/[\\`*_{}[\]()#+\-.!|~=:]/g, '\\$&').replace(/[&<>"]/g, (c) => ENTITIES[c]!);
}

/** A URL with any `user:password@` removed (a URL's credentials are never shown). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
}

/** A Markdown link to an http(s) URL, or the escaped text when it is not one. */
export function mdLink(label: string, url: string): string {
  const clean = withoutCredentials(url.trim());
  if (!/^https?:\/\/[^/?#\s]/i.test(clean)) return mdText(clean, 120);
  // Only characters that cannot end or bend the link stay as they are.
  const target = clean.replace(/[^A-Za-z0-9\-._~:/?#@!$&+,;=%]/gu, percentEncoded);
  return `[${mdText(label)}](${target})`;
}

function percentEncoded(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x80) return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  try {
    return encodeURIComponent(c);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate
  }
}
