import http from "node:http";
import { isIP } from "node:net";
import { Readable } from "node:stream";
import tls from "node:tls";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { type Logger, silentLogger } from "../home/context.ts";
import type { FetchLike } from "./http-json.ts";

export interface PinnedFetchOptions {
  /** Lower-case hex SHA-256 of the master's certificate DER (colons and upper case accepted). */
  fingerprint256?: string;
  /** Allow plain http: URLs (node tokens then cross the wire in clear); warns once. */
  allowInsecureHttp?: boolean;
  logger?: Logger;
}

/**
 * The fetch a slave talks to its master with. https: with a fingerprint: a TLS connection whose
 * certificate (self-signed is fine) must have exactly that SHA-256, checked after the handshake
 * and before one byte of the request is written. https: without one: ordinary verification.
 * http: refused with INSECURE_TRANSPORT unless allowInsecureHttp.
 */
export function createPinnedFetch(options: PinnedFetchOptions = {}): FetchLike {
  const logger = options.logger ?? silentLogger;
  const pin = options.fingerprint256 === undefined ? undefined : normaliseFingerprint(options.fingerprint256);
  let warned = false;
  return async (input, init = {}) => {
    const url = new URL(input);
    if (url.protocol === "http:") {
      if (!options.allowInsecureHttp) {
        throw new ConfvaultError(
          "INSECURE_TRANSPORT",
          `refusing plain HTTP to ${url.origin}: node tokens would cross the network in clear`,
          "use the master's https:// URL, or pass --insecure-http to accept node tokens in clear",
          { url: url.origin },
        );
      }
      if (!warned) {
        warned = true;
        logger.warn(
          { url: url.origin },
          "INSECURE: talking to the master over plain HTTP (--insecure-http); node tokens and releases cross the network in clear",
        );
      }
      return await fetch(input, init);
    }
    if (url.protocol !== "https:") {
      throw new ConfvaultError("BAD_USAGE", `unsupported URL scheme ${url.protocol}`, "use an https:// URL");
    }
    if (!pin) return await fetch(input, init);
    return await pinnedRequest(url, init, pin);
  };
}

function normaliseFingerprint(fp: string): string {
  const hex = fp.replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "a TLS fingerprint is 64 hex digits (SHA-256 of the certificate)",
      "copy it from `confvault serve` or the join token",
    );
  }
  return hex;
}

async function pinnedRequest(url: URL, init: RequestInit, pin: string): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  // Request normalises headers and body types; the bodies sent here are small JSON.
  const request = new Request(url, { method: init.method, headers: init.headers, body: init.body });
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  const socket = await connectPinned(url, pin, signal);
  return await new Promise<Response>((resolve, reject) => {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    if (body) headers["content-length"] = String(body.length);
    const req = http.request({
      method: request.method,
      host: url.hostname,
      port: url.port || 443,
      path: `${url.pathname}${url.search}`,
      headers,
      // No `agent`: with one (even `agent: false`) node ignores createConnection and dials plain TCP.
      createConnection: () => socket,
    });
    const onAbort = () => req.destroy(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    req.once("error", (err) => {
      signal?.removeEventListener("abort", onAbort);
      reject(err);
    });
    req.once("response", (res) => {
      res.once("close", () => signal?.removeEventListener("abort", onAbort));
      const out = new Headers();
      for (const [key, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
      }
      const status = res.statusCode ?? 502;
      const noBody = request.method === "HEAD" || status === 204 || status === 304;
      if (noBody) res.resume();
      resolve(
        new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
          status,
          statusText: res.statusMessage ?? "",
          headers: out,
        }),
      );
    });
    req.end(body);
  });
}

/** A TLS socket to url whose peer certificate has SHA-256 `pin`; nothing is written before the check. */
function connectPinned(url: URL, pin: string, signal: AbortSignal | undefined): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      // The pin replaces chain and name checks: a self-signed certificate is what we expect.
      rejectUnauthorized: false,
      ...(isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ["http/1.1"],
    });
    const onAbort = () => socket.destroy(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    socket.once("error", (err) => {
      done();
      reject(err);
    });
    socket.once("secureConnect", () => {
      done();
      const seen = (socket.getPeerCertificate().fingerprint256 ?? "").replace(/:/g, "").toLowerCase();
      if (seen !== pin) {
        const err = new ConfvaultError(
          "TLS_UNTRUSTED",
          `the certificate of ${url.origin} is not the pinned one (SHA-256 ${seen || "none"}, expected ${pin}); nothing was sent`,
          "something may be impersonating the master; if its certificate was replaced on purpose, join again with a new join token",
          { url: url.origin, fingerprint256: seen, expected: pin },
        );
        socket.destroy();
        reject(err);
        return;
      }
      resolve(socket);
    });
  });
}
