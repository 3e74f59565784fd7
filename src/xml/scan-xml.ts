import { decodeXmlBytes } from "./decode-xml-bytes.ts";
import { fastScan } from "./fast-scan.ts";
import { scanDocument } from "./scan-document.ts";
import type { ScanOptions, XmlScan } from "./types.ts";

/**
 * Checks that `bytes` is a well-formed XML document in one streaming pass and locates its
 * top-level sections and the elements matching `options.patterns` by byte offsets into
 * `bytes`, so callers can splice the original bytes without re-serialising anything.
 * Throws ConfvaultError XML_MALFORMED (with line:column), XML_ENTITY_LIMIT or XML_EXTERNAL_ENTITY.
 *
 * Typical configs take `fastScan` (several times faster than saxes); a document it does not
 * fully handle, and every malformed one, is scanned again by saxes, which gives the result
 * or the error (so messages and line:column never depend on which path ran).
 */
export function scanXml(bytes: Uint8Array, options: ScanOptions = {}): XmlScan {
  const decoded = decodeXmlBytes(bytes);
  return fastScan(decoded, options) ?? scanDocument(bytes, options, decoded).scan;
}
