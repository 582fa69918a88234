// The entry of tesseract.js's own worker thread (see engine.ts): its worker
// script, with fetch taken away first. tesseract.js fetches when it is given a
// URL (language data from a CDN by default); we hand it the data's bytes, and
// this makes sure no path we missed can reach the network: an attempt fails
// loudly instead.
globalThis.fetch = async (url) => {
  throw new Error(`OCR must not fetch anything at run time (it tried ${String(url)})`);
};
// Imported only now: a static import would run before the line above.
await import('tesseract.js/src/worker-script/node/index.js');
