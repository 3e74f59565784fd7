/** The public apply operation; it lives in core/ so sync and capture share the one path. */
export { type ApplyOptions, applyConfig } from "../core/apply-config.ts";
