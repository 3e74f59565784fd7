/** Deterministic ~1 MB config versions for the crash test: writer and checker derive the same bytes. */
const SIZE = 1 << 20;
let base: Buffer | null = null;

function baseText(): Buffer {
  if (base) return base;
  const out = Buffer.alloc(SIZE);
  let x = 0x9e3779b9;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789<>/=" \r\n';
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = alphabet.charCodeAt((x >>> 0) % alphabet.length);
  }
  base = out;
  return out;
}

export function configVersion(n: number): Buffer {
  const head = Buffer.from(`<!-- version ${n} -->\n`);
  const body = Buffer.from(baseText());
  body.writeUInt32LE(n, (n * 4099) % (SIZE - 4));
  return Buffer.concat([head, body]);
}

export function versionOf(bytes: Uint8Array): number {
  const m = /^<!-- version (\d+) -->\n/.exec(Buffer.from(bytes.subarray(0, 40)).toString("latin1"));
  return m ? Number(m[1]) : -1;
}
