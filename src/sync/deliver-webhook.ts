import type { FetchLike } from "./http-json.ts";
import { randomToken } from "./json-state.ts";
import { signSyncRequest } from "./signature.ts";

export interface SyncPayload {
  cluster: string;
  commit: string;
  tag: string;
  sequence: number;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or 0 when the slave could not be reached. */
  status: number;
  /** Worth trying again (unreachable, 5xx, 429). */
  retryable: boolean;
  error?: string;
  delivery: string;
}

/** Sends one signed `POST /hooks/sync` to a slave; a 202 means it will fetch and apply. */
export async function deliverWebhook(options: {
  fetch: FetchLike;
  url: string;
  secret: string;
  payload: SyncPayload;
  timeoutMs?: number;
}): Promise<DeliveryResult> {
  const body = JSON.stringify(options.payload);
  const delivery = randomToken("d-", 16);
  const headers = await signSyncRequest({ secret: options.secret, body, delivery });
  try {
    const res = await options.fetch(new URL("/hooks/sync", options.url).toString(), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await res.text().catch(() => "");
    if (res.status >= 200 && res.status < 300)
      return { ok: true, status: res.status, retryable: false, delivery };
    return {
      ok: false,
      status: res.status,
      retryable: res.status >= 500 || res.status === 429,
      error: `HTTP ${res.status} ${text.slice(0, 300)}`,
      delivery,
    };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { ok: false, status: 0, retryable: true, error: `unreachable: ${code}`, delivery };
  }
}
