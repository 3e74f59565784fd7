import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

export interface UnifiedDiffOptions {
  fromLabel: string;
  toLabel: string;
  /** Lines of context around each change (default 3, like git). */
  context?: number;
}

/** A unified diff (`--- from`, `+++ to`, `@@` hunks) of two texts; "" when they are equal. */
export function unifiedDiff(oldText: string, newText: string, options: UnifiedDiffOptions): string {
  if (oldText === newText) return "";
  return createTwoFilesPatch(options.fromLabel, options.toLabel, oldText, newText, undefined, undefined, {
    context: options.context ?? 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
