import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * One JSON request to another node. A network failure or a non-2xx answer is SYNC_FAILED with
 * the remote's error code and message in `data`, so callers can tell unreachable from refused.
 */
export async function requestJson<T>(
  fetchImpl: FetchLike,
  url: string,
  options: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (err) {
    // Refused before sending (plain HTTP not allowed, TLS certificate not the pinned one).
    if (isConfvaultError(err)) throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new ConfvaultError(
      "SYNC_FAILED",
      `cannot reach ${new URL(url).origin}: ${cause}`,
      "check that the other node runs `confvault serve` and that its URL in the settings is right",
      { url, unreachable: true },
      err,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
    throw new ConfvaultError(
      "SYNC_FAILED",
      `${new URL(url).origin} refused ${new URL(url).pathname}: ${res.status} ${e?.code ?? ""} ${e?.message ?? text.slice(0, 200)}`.trim(),
      e?.hint ?? "see the other node's log",
      { url, status: res.status, remoteCode: e?.code },
    );
  }
  if (json === undefined) {
    throw new ConfvaultError(
      "SYNC_FAILED",
      `${url} answered with something that is not JSON`,
      "is that URL a confvault node?",
      { url },
    );
  }
  return json as T;
}
