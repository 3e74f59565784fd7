import { ConfvaultError } from "../errors/confvault-error.ts";

export const SIGNATURE_HEADER = "x-confvault-signature";
export const TIMESTAMP_HEADER = "x-confvault-timestamp";
export const DELIVERY_HEADER = "x-confvault-delivery";
/** Webhooks older or newer than this (seconds) are refused. */
export const SIGNATURE_WINDOW_SECONDS = 300;

const enc = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/**
 * The HMAC covers `timestamp + "." + delivery + "." + body`: a captured webhook replayed with a
 * fresh delivery id (to get past the seen-ids log) no longer verifies. Neither the timestamp
 * (digits) nor the delivery id (`[A-Za-z0-9._:-]`, checked before) can contain the body.
 */
function signedBytes(timestamp: string, delivery: string, body: string): Uint8Array<ArrayBuffer> {
  return enc.encode(`${timestamp}.${delivery}.${body}`);
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Headers for one sync webhook: `sha256=<hex HMAC(secret, timestamp + "." + delivery + "." + body)>`, the timestamp, the delivery id. */
export async function signSyncRequest(options: {
  secret: string;
  body: string;
  delivery: string;
  now?: Date;
}): Promise<Record<string, string>> {
  const timestamp = String(Math.floor((options.now ?? new Date()).getTime() / 1000));
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(options.secret),
    signedBytes(timestamp, options.delivery, options.body),
  );
  return {
    [SIGNATURE_HEADER]: `sha256=${toHex(mac)}`,
    [TIMESTAMP_HEADER]: timestamp,
    [DELIVERY_HEADER]: options.delivery,
  };
}

function refuse(message: string, hint: string): never {
  throw new ConfvaultError("UNAUTHORIZED", message, hint);
}

/**
 * Checks a sync webhook over its raw body: signature (Web Crypto's HMAC verify, which compares
 * in constant time), then the timestamp window. Throws UNAUTHORIZED; returns the delivery id.
 * The replay check (delivery id seen before) is the caller's, after this passed.
 */
export async function verifySyncRequest(options: {
  secret: string;
  body: string;
  headers: { signature?: string | null; timestamp?: string | null; delivery?: string | null };
  now?: Date;
  windowSeconds?: number;
}): Promise<{ delivery: string; timestamp: number }> {
  const { signature, timestamp, delivery } = options.headers;
  const hint = "the sender is not this node's master, or the cluster secret differs: join the cluster again";
  if (!signature || !timestamp || !delivery) {
    refuse("missing X-Confvault-Signature, X-Confvault-Timestamp or X-Confvault-Delivery", hint);
  }
  if (!/^[A-Za-z0-9._:-]{8,128}$/.test(delivery)) refuse("malformed X-Confvault-Delivery", hint);
  if (!/^\d{1,12}$/.test(timestamp)) refuse("malformed X-Confvault-Timestamp", hint);
  const mac = signature.startsWith("sha256=") ? fromHex(signature.slice(7)) : null;
  if (mac === null) refuse("malformed X-Confvault-Signature (expected sha256=<64 hex digits>)", hint);
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(options.secret),
    mac,
    signedBytes(timestamp, delivery, options.body),
  );
  if (!ok) refuse("the webhook signature does not match", hint);
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const window = options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS;
  if (Math.abs(now - seconds) > window) {
    refuse(
      `the webhook timestamp is ${now - seconds} s away from this node's clock (allowed: ±${window} s)`,
      "check the clocks of master and slave (NTP); a replayed old webhook also ends here",
    );
  }
  return { delivery, timestamp: seconds };
}
