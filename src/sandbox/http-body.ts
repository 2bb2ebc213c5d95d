/**
 * Request bodies inside the sandbox arrive as raw Buffers (the plugin installs one catch-all
 * parser in its scope): DEP clients send JSON with Apple's odd `charset=UTF8`, and the
 * portal takes JSON, PEM text or a browser form upload. Parsing here keeps error answers in
 * each side's own format instead of Fastify's.
 */

export class BodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Body limit for the sandbox scope: a `{serials}` list for a million devices is ~16 MiB. */
export const SANDBOX_BODY_LIMIT = 64 * 1024 * 1024;

/** JSON of a raw body; `undefined` for an empty body; BodyError when it is not JSON. */
export function jsonBody(body: unknown): unknown {
  const text = bodyText(body);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('The body is not valid JSON.');
  }
}

export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (Buffer.isBuffer(body)) return body.toString('utf8').replace(/^\uFEFF/, '');
  if (typeof body === 'string') return body;
  throw new BodyError('Unexpected body.');
}

export interface FormPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly data: Buffer;
}

/** RFC 7578 multipart/form-data, enough for a browser's small form with one file. */
export function multipartParts(contentType: string, body: Buffer): FormPart[] {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2]?.trim();
  if (boundary === undefined || boundary === '') throw new BodyError('multipart/form-data without a boundary.');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let position = body.indexOf(delimiter);
  if (position === -1) throw new BodyError('The form upload is empty or damaged.');
  for (;;) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // closing delimiter
    const next = body.indexOf(delimiter, start);
    if (next === -1) throw new BodyError('The form upload is truncated.');
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF (before the next delimiter).
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      let data = part.subarray(headerEnd + 4);
      if (data.subarray(data.length - 2).toString() === '\r\n') data = data.subarray(0, data.length - 2);
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      if (name !== undefined) parts.push({ name, filename, data: Buffer.from(data) });
    }
    position = next;
  }
  return parts;
}

export function isMultipart(contentType: string | undefined): contentType is string {
  return contentType !== undefined && /^multipart\/form-data/i.test(contentType);
}
