/**
 * Credentials inside URLs (`https://user:password@host/…`) never reach a message or a log: every URL
 * from the provider or the configuration is shown through here (a pause reason is kept in history, the
 * dev stack's log in a file).
 */

/** The URL with its `user:password@` shown as `***@`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1***@');
}

/** Every URL's `user:password@` in a text shown as `***@`. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi, '$1***@');
}

/** Whether a URL names a user or password (`https://user:password@host`). */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}
