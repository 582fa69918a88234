// Tesseract's language data comes from npm packages (`@tesseract.js-data/<code>`,
// installed like any dependency), read from disk: nothing is fetched at run time.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The LSTM model of a language inside its package (the `4.0.0_best_int`
 * folder: the integer "best" model the LSTM engine reads; `4.0.0` adds the
 * legacy engine's data, which we do not use). Undefined when not installed.
 */
export function languageDataFile(code: string): string | undefined {
  if (!/^[a-z][a-z0-9_]*$/i.test(code)) return undefined;
  let packageJson: string;
  try {
    packageJson = require.resolve(`@tesseract.js-data/${code}/package.json`);
  } catch {
    return undefined;
  }
  const file = path.join(path.dirname(packageJson), '4.0.0_best_int', `${code}.traineddata.gz`);
  return existsSync(file) ? file : undefined;
}

/** The languages of the list whose data is not installed. */
export function missingLanguages(codes: readonly string[]): string[] {
  return codes.filter((code) => languageDataFile(code) === undefined);
}
