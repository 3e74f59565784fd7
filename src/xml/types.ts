/** One element found by the streaming scan, located by byte offsets into the original bytes. */
export interface ElementSpan {
  /** Slash path of element names below the root ("system/hostname"); "" for the root itself. */
  path: string;
  name: string;
  /** 0 for the root element. */
  depth: number;
  /** Byte offset of the "<" of the start tag. */
  start: number;
  /** Byte offset just past the end tag (or past "/>" for a self-closing element). */
  end: number;
  /** Byte offset just past the start tag's ">" (equals `end` for a self-closing element). */
  contentStart: number;
  /** Byte offset of the "</" of the end tag (equals `end` for a self-closing element). */
  contentEnd: number;
  attributes: Record<string, string>;
  /** True when the element has child elements (false: text/CDATA/empty only). */
  hasChildren: boolean;
}

export interface XmlScan {
  /** Encoding from the declaration ("utf-8" when absent), lower-cased. */
  encoding: string;
  bom: boolean;
  rootName: string;
  /** Every element of depth 1 (top-level sections), in document order. */
  sections: ElementSpan[];
  /** Every element whose path matched one of the requested patterns, in document order. */
  matches: ElementSpan[];
  /** The DOCTYPE declaration as saxes reports it (text after "<!DOCTYPE"), when the document has one. */
  doctype?: string;
}

export interface ScanOptions {
  /** Element path patterns to collect into `matches` ("a/b" from the root, "//a/b" at any depth). */
  patterns?: readonly string[];
  /** Refuse documents whose entity expansion would exceed this many characters (default 1 MiB). */
  maxEntityExpansion?: number;
}

/** One policy-level difference found by `semanticDiff`. */
export interface DiffEntry {
  kind: "added" | "removed" | "moved" | "changed" | "secret-changed" | "attribute-changed";
  /** Display path: names below the root, repeated siblings keyed as `allow[id=5]` or `ip[2]`; attributes as `@name`. */
  path: string;
  old?: string;
  new?: string;
  /** 1-based position among same-name siblings (moves only). */
  from?: number;
  to?: number;
}
