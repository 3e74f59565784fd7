export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface DeliveryOptions {
  fetch?: FetchLike;
  retries: number;
  retryBaseMs: number;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** POSTs one JSON payload; retries network errors, 429 and 5xx with exponential backoff. */
export async function deliverWebhook(
  url: string,
  payload: unknown,
  o: DeliveryOptions,
): Promise<DeliveryResult> {
  const doFetch = o.fetch ?? ((u, init) => fetch(u, init));
  const sleep = o.sleep ?? wait;
  const body = JSON.stringify(payload);
  let last: DeliveryResult = { ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "confvault-alerts" },
        body,
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status: res.status };
      last = { ok: false, attempts: attempt, status: res.status, error: `HTTP ${res.status}` };
      if (res.status < 500 && res.status !== 429 && res.status !== 408) return last;
    } catch (err) {
      last = { ok: false, attempts: attempt, error: (err as Error).message };
    }
    if (attempt <= o.retries) await sleep(o.retryBaseMs * 2 ** (attempt - 1));
  }
  return last;
}
