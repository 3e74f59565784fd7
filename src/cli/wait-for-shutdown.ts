import type { Logger } from "../home/context.ts";

/**
 * Resolves after SIGTERM or SIGINT once every closer has finished: the server stops accepting,
 * in-flight applies complete and release the home lock. A second signal exits at once.
 */
export function waitForShutdown(logger: Logger, closers: Array<() => Promise<void>>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, "shutting down");
      for (const close of closers) {
        try {
          await close();
        } catch (err) {
          logger.error({ err: (err as Error).message }, "error while shutting down");
        }
      }
      resolve();
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  });
}
