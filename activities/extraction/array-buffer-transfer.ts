// pdf.js (inside unpdf) passes every font it draws through
// `ArrayBuffer.prototype.transferToFixedLength`, which Node 20 lacks (Node 22
// has it). Without it each font fails: text set in a font is missing from a
// rendered page, and some pages' rendering never settles at all; a real
// Japanese manual stalled a text thread for good that way. This module is
// imported before pdf.js is used, and adds the method only where it is missing.

if (typeof (ArrayBuffer.prototype as { transferToFixedLength?: unknown }).transferToFixedLength !== 'function') {
  Object.defineProperty(ArrayBuffer.prototype, 'transferToFixedLength', {
    configurable: true,
    writable: true,
    /** A copy of the buffer's first `length` bytes (zero-filled past its end); the original is detached, as the real method does. */
    value(this: ArrayBuffer, length: number = this.byteLength): ArrayBuffer {
      const copy = new ArrayBuffer(length);
      new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
      structuredClone(this, { transfer: [this] });
      return copy;
    },
  });
}

export {};
