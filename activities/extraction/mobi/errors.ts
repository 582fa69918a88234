/** The bytes break the MOBI format (truncated, corrupt): the extractor reports them as corrupt_file. */
export class MobiFormatError extends Error {
  override name = 'MobiFormatError';
}

/** A well-formed book this reader cannot turn into text, and why (DRM, a compression it does not read). */
export class MobiUnreadableError extends Error {
  override name = 'MobiUnreadableError';

  constructor(
    readonly reason: 'encrypted' | 'unsupported_type',
    message: string,
  ) {
    super(message);
  }
}
