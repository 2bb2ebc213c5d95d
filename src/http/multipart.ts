import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { controlCharacterError, findControlCharacter } from './validation.js';

/**
 * One file from a multipart/form-data body, read with limits and refused whole when the body
 * is not well-formed. Busboy reports a missing boundary, a body cut off mid-part or a limit
 * reached as plain errors (or not at all, when the caller stops reading after the first
 * file); each becomes MALFORMED_MULTIPART, a 400 that says what to send, never a 500.
 */

/** RFC 2046 §5.1.1: a boundary is 1 to 70 characters. */
const MAX_BOUNDARY_LENGTH = 70;

/**
 * For @fastify/multipart: one file, a few small fields a form might add, few headers per
 * part (Content-Disposition, Content-Type, Content-Transfer-Encoding). Busboy's defaults
 * (1000 parts, 1 MB fields, 2000 header pairs) are for forms, not a single file.
 */
export function multipartLimits(maxFileBytes: number) {
  return {
    files: 1,
    fields: 4,
    parts: 5,
    fileSize: maxFileBytes,
    fieldSize: 1024,
    fieldNameSize: 100,
    headerPairs: 10,
  };
}

export class MalformedMultipartError extends DomainError {
  constructor(problem: string, field: string) {
    super(
      'invalid',
      'MALFORMED_MULTIPART',
      `${problem} Send the file as the raw request body, or as multipart/form-data with one file in the field "${field}" (curl -F "${field}=@file").`,
    );
  }
}

function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2] ?? undefined;
}

/** Busboy's and @fastify/multipart's failures, in words a client developer can act on. */
function explain(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return 'The multipart body has more parts than this upload takes.';
  }
  if (code === 'FST_PROTO_VIOLATION') return 'The multipart body has a part named like a JavaScript built-in.';
  return 'The multipart body is malformed or was cut off before its closing boundary.';
}

/**
 * The bytes of the one file in `field`. Every part is read, so a malformed or over-limit
 * tail is refused too instead of being ignored after the first file. Text in part names,
 * file names and fields meets the same control-character rule as the rest of the API.
 * A file over the size limit is left to the caller as @fastify/multipart's
 * FST_REQ_FILE_TOO_LARGE, which it words in its own terms.
 */
export async function readMultipartFile(request: FastifyRequest, field: string): Promise<Buffer> {
  const boundary = boundaryOf(request.headers['content-type']);
  if (boundary === undefined || boundary === '') {
    throw new MalformedMultipartError('The Content-Type says multipart/form-data but gives no boundary.', field);
  }
  if (boundary.length > MAX_BOUNDARY_LENGTH) {
    throw new MalformedMultipartError(
      `The multipart boundary is ${boundary.length} characters long; RFC 2046 allows at most ${MAX_BOUNDARY_LENGTH}.`,
      field,
    );
  }
  let file: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      const text = part.type === 'file' ? [part.fieldname, part.filename] : [part.fieldname, part.value];
      const found = findControlCharacter(text, 'text');
      if (found !== undefined) {
        const where = found.path.startsWith('.0')
          ? 'The multipart part name'
          : part.type === 'file'
            ? 'The multipart file name'
            : `The multipart field "${part.fieldname}"`;
        throw controlCharacterError(where, { ...found, path: '' }, field);
      }
      if (part.type === 'field') {
        if (part.fieldname === field) {
          throw new MalformedMultipartError(`The field "${field}" holds text, not a file.`, field);
        }
        continue;
      }
      if (part.fieldname !== field) {
        throw new MalformedMultipartError(`The file is in the field "${part.fieldname}", not "${field}".`, field);
      }
      file = await part.toBuffer();
    }
  } catch (error) {
    if (error instanceof DomainError || (error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw error;
    throw new MalformedMultipartError(explain(error), field);
  }
  if (file === undefined) {
    throw new MalformedMultipartError(`The multipart body has no file in the field "${field}".`, field);
  }
  return file;
}
