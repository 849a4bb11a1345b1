/** `application/json` or `application/<anything>+json`, with any parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Whether a JSON route reads a body of this Content-Type: JSON, or none given (scripts often send none). A form or
 * plain text is refused: it is not what the route reads (a web page of another site is refused apart, see http.ts).
 */
export function readsAsJson(contentType: string): boolean {
  return contentType === '' || JSON_MEDIA_TYPE.test(contentType);
}

/** The 415 message for a body that is not declared as JSON. */
export function notJsonMessage(contentType: string): string {
  return `Content-Type ${contentType} is not read here: send JSON as application/json (curl: -H 'Content-Type: application/json')`;
}
