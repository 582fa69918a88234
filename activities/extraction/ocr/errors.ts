// Apart from engine.ts, so code that only tells these errors apart does not load tesseract.js.

/** The bytes are not an image Tesseract can decode: the file's fault, so trying again will not help. */
export class UnreadableImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableImageError';
  }
}

/** The engine itself failed (did not start, ran out of memory): not the file's fault, so worth another attempt. */
export class OcrEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OcrEngineError';
  }
}
