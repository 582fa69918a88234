import type { Request, Response } from 'express';
import multer from 'multer';
import type { StagingArea } from '../../storage/document-storage.ts';
import { ApiError } from '../errors.ts';
import {
  fileTooLarge,
  malformed,
  StagingEngine,
  type MulterStagedFile,
  type MultipartLimits,
  type StagedFile,
  type UploadReceipt,
} from './staging-engine.ts';

export interface ReceivedMultipart {
  fields: Record<string, string>;
  files: StagedFile[];
}

const MAX_TEXT_FIELD_BYTES = 1024;
/** Text fields beyond the route's own that are tolerated before the request is refused as having too many. */
const SPARE_TEXT_FIELDS = 5;

/**
 * A route's multipart reader: multer with our StagingEngine (see there), set
 * up once for the route's field names and limits. Per request it streams
 * every file part to staging, checks the limits as bytes arrive and answers
 * with the text fields and the staged files; any failure rejects with an
 * ApiError naming it (413 for a limit, 400 for a malformed or unexpected
 * part, 503 for a store that cannot be written) after every file the request
 * staged has been removed.
 */
export function multipartReceiver(staging: StagingArea, limits: MultipartLimits) {
  const engine = new StagingEngine(staging, limits);
  const parse = multer({
    storage: engine,
    // Names are made safe by sanitizeFilename; with busboy stripping paths, a name of only
    // path parts ('..', 'a/') would reach multer empty and be dropped without a word.
    preservePath: true,
    limits: {
      // One past ours: busboy flags a file when it reaches `fileSize` bytes, even if it has no
      // more, so it cuts only files truly over the limit; the engine refuses on that byte.
      fileSize: limits.maxFileBytes.allowed + 1,
      files: limits.maxFiles.allowed,
      fields: limits.textFields.length + SPARE_TEXT_FIELDS,
      fieldSize: MAX_TEXT_FIELD_BYTES,
      headerPairs: 20,
    },
    fileFilter(req, _file, accept) {
      const receipt = engine.receiptOf(req);
      // Text fields that came before this file are judged now, so a bad one stops the upload early.
      const refusal = receipt.failure ?? textFieldProblem(req.body as Record<string, unknown>, limits);
      if (refusal) {
        receipt.fail(refusal);
        return accept(refusal);
      }
      accept(null, true);
    },
  }).array(limits.fileField);

  return async (req: Request, res: Response): Promise<ReceivedMultipart> => {
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        `send multipart/form-data with the file(s) in the field '${limits.fileField}'`,
      );
    }
    const receipt = engine.begin(req);
    const parsed = await new Promise<Error | undefined>((resolve) => {
      parse(req, res, (error?: unknown) => resolve(error as Error | undefined));
      // A client gone mid-body: the files still streaming are stopped, and the answer does not
      // wait on multer (busboy would wait for the rest of the body forever).
      req.on('close', () => {
        if (req.complete) return;
        receipt.fail(
          new ApiError(400, 'request_aborted', 'the client stopped sending before the request was complete'),
        );
        resolve(receipt.failure);
      });
    });
    try {
      if (parsed) receipt.fail(explainMulterError(parsed, req, limits, receipt));
      // multer sets req.files whenever it reads a body; it passes over one whose media type does not
      // parse (an empty boundary) or that has no body, where busboy would have refused it.
      else if (req.files === undefined)
        receipt.fail(
          new ApiError(
            400,
            'invalid_multipart',
            `malformed multipart request: the content type '${req.headers['content-type']}' does not parse, or there is no body`,
          ),
        );
      await receipt.settled();
      if (receipt.failure) throw receipt.failure;
      const fields = textFields(req.body as Record<string, unknown>, limits);
      const files = ((req.files ?? []) as MulterStagedFile[]).map(stagedFile);
      if (files.length === 0) {
        throw new ApiError(
          400,
          'no_files',
          `no file in the request; send the file(s) in the field '${limits.fileField}'`,
        );
      }
      return { fields, files };
    } catch (error) {
      receipt.fail(error as Error);
      await receipt.settled();
      await Promise.allSettled(receipt.files.map((file) => staging.remove(file.stagedKey)));
      throw receipt.failure;
    }
  };
}

/** Our part of what multer hands back for a stored file. */
function stagedFile(file: MulterStagedFile): StagedFile {
  const { index, rawFilename, filename, stagedKey, sizeBytes, sha256, head } = file;
  return { index, rawFilename, filename, stagedKey, sizeBytes, sha256, head };
}

/** multer's and busboy's errors as the API names them (our own refusals pass through). */
function explainMulterError(error: Error, req: Request, limits: MultipartLimits, receipt: UploadReceipt): Error {
  if (error instanceof ApiError) return error;
  if (error instanceof multer.MulterError) {
    const field = error.field ?? '';
    switch (error.code) {
      case 'LIMIT_FILE_COUNT': {
        const { limit, allowed } = limits.maxFiles;
        return new ApiError(
          413,
          'limit_exceeded',
          `more than ${allowed} file(s) in one request (${limit} = ${allowed}); reading stopped at file ${allowed + 1}`,
          { limit, allowed, actual: allowed + 1, actual_is_at_least: true },
        );
      }
      case 'LIMIT_FILE_SIZE': {
        // The engine refuses on the same byte and names the file; this is the same answer if busboy spoke first.
        const current = receipt.files.at(-1);
        return fileTooLarge(limits.maxFileBytes, current?.filename ?? '', limits.maxFileBytes.allowed + 1);
      }
      case 'LIMIT_UNEXPECTED_FILE':
        return new ApiError(
          400,
          'unexpected_field',
          `file parts go in the field '${limits.fileField}', not '${field}'`,
          { field },
        );
      case 'LIMIT_FIELD_VALUE':
        return (
          textFieldProblem({ [field]: '' }, limits) ??
          new ApiError(400, 'invalid_multipart', `form field '${field}' is longer than ${MAX_TEXT_FIELD_BYTES} bytes`, {
            field,
          })
        );
      case 'LIMIT_FIELD_COUNT':
        return new ApiError(400, 'invalid_multipart', 'too many form fields');
      default:
        return new ApiError(400, 'invalid_multipart', `malformed multipart request: ${error.message}`);
    }
  }
  if (!req.complete && (req.destroyed || req.readableAborted))
    return new ApiError(400, 'request_aborted', 'the client stopped sending before the request was complete');
  // What is left came from busboy: a body it could not parse.
  return malformed(error);
}

/** The first text field the route does not take: the file field sent as text, or a name it does not know. */
function textFieldProblem(body: Record<string, unknown> | undefined, limits: MultipartLimits): ApiError | undefined {
  for (const name of Object.keys(body ?? {})) {
    if (name === limits.fileField) {
      return new ApiError(400, 'invalid_multipart', `the field '${name}' must be a file part with a filename`, {
        field: name,
      });
    }
    if (!limits.textFields.includes(name)) {
      return new ApiError(
        400,
        'unexpected_field',
        `unknown form field '${name}'; known: ${[limits.fileField, ...limits.textFields].join(', ')}`,
        { field: name },
      );
    }
  }
  return undefined;
}

/**
 * The text fields as the route's schema reads them, one string each. multer
 * gathers a repeated field into an array (the last one counts, as before)
 * and reads `name[key]` as an object, which no field of ours is.
 */
function textFields(body: Record<string, unknown> | undefined, limits: MultipartLimits): Record<string, string> {
  const problem = textFieldProblem(body, limits);
  if (problem) throw problem;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last !== 'string') {
      throw new ApiError(400, 'invalid_multipart', `form field '${name}' must be one plain value`, { field: name });
    }
    fields[name] = last;
  }
  return fields;
}
