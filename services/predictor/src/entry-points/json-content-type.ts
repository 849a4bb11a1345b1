/** `application/json` or `application/<anything>+json`, with any parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** A `charset` parameter's value, unquoted; undefined when the type has none. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** Charsets a JSON body is read in: UTF-8 (RFC 8259), and ASCII, which is a part of it. */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** The charset a Content-Type declares, lower-cased, when it declares one. */
function declaredCharset(contentType: string): string | undefined {
  return CHARSET.exec(contentType)?.[1]?.toLowerCase();
}

/**
 * Whether a JSON route reads a body of this Content-Type: JSON in UTF-8, or none given (scripts often send none). A
 * form or plain text is refused: it is not what the route reads (a web page of another site is refused apart, see
 * http.ts); so is JSON declared in another charset (latin1 bytes would be read wrongly, not refused).
 */
export function readsAsJson(contentType: string): boolean {
  if (contentType === '') return true;
  if (!JSON_MEDIA_TYPE.test(contentType)) return false;
  const charset = declaredCharset(contentType);
  return charset === undefined || UTF8_CHARSETS.has(charset);
}

/** The 415 message for a body that is not declared as JSON, or declared in a charset other than UTF-8. */
export function notJsonMessage(contentType: string): string {
  if (JSON_MEDIA_TYPE.test(contentType)) {
    return `Content-Type ${contentType} is not read here: JSON is read as UTF-8 only; send the body in UTF-8 with charset=utf-8 or no charset`;
  }
  return `Content-Type ${contentType} is not read here: send JSON as application/json (curl: -H 'Content-Type: application/json')`;
}
