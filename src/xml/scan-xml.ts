import { scanDocument } from "./scan-document.ts";
import type { ScanOptions, XmlScan } from "./types.ts";

/**
 * Checks that `bytes` is a well-formed XML document in one streaming pass and locates its
 * top-level sections and the elements matching `options.patterns` by byte offsets into
 * `bytes`, so callers can splice the original bytes without re-serialising anything.
 * Throws ConfvaultError XML_MALFORMED (with line:column), XML_ENTITY_LIMIT or XML_EXTERNAL_ENTITY.
 */
export function scanXml(bytes: Uint8Array, options: ScanOptions = {}): XmlScan {
  return scanDocument(bytes, options).scan;
}
