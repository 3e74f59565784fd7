#!/usr/bin/env node
// Entry point: the compiled CLI in dist/ (built by `npm ci` through `prepare`, or `npm run build`).
// A checkout without dist/ runs the TypeScript sources through tsx (a dev dependency) instead.
import { existsSync } from "node:fs";

if (process.env.CONFVAULT_DEBUG) process.setSourceMapsEnabled(true);
const dist = new URL("../dist/entry.js", import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/entry.ts");
}
