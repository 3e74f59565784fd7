import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  status: number;
  body: Record<string, unknown>;
}

/** A local webhook receiver: records every POST; the first `failFirst` answers are 500. */
export async function startReceiver(options: { failFirst?: number } = {}) {
  const received: Received[] = [];
  let failures = options.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString();
    });
    req.on("end", () => {
      const status = failures > 0 ? 500 : 200;
      if (failures > 0) failures--;
      received.push({ status, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "try again");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    /** Only the deliveries the receiver accepted. */
    accepted: () => received.filter((r) => r.status === 200).map((r) => r.body),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
