import { ConfvaultError } from "../errors/confvault-error.ts";
import { formatTree, splitFilePath, type TreeEntry } from "./git-objects.ts";
import type { ObjectWriter } from "./object-writer.ts";

interface Folder {
  files: Map<string, Uint8Array>;
  folders: Map<string, Folder>;
}

/**
 * Queues every blob and the trees above them (bottom-up) on the writer; returns the root tree
 * oid. Paths with "/" get subtrees; all files are mode 100644. Call `writer.flush()` after.
 */
export function writeTrees(writer: ObjectWriter, files: Record<string, Uint8Array>): string {
  const root: Folder = { files: new Map(), folders: new Map() };
  for (const [path, bytes] of Object.entries(files)) {
    if (!(bytes instanceof Uint8Array)) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `File '${path}' has no bytes.`,
        "Pass file contents as Uint8Array.",
      );
    }
    const parts = splitFilePath(path);
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      if (folder.files.has(part)) throw clash(path);
      let sub = folder.folders.get(part);
      if (!sub) folder.folders.set(part, (sub = { files: new Map(), folders: new Map() }));
      folder = sub;
    }
    const name = parts[parts.length - 1]!;
    if (folder.folders.has(name)) throw clash(path);
    folder.files.set(name, bytes);
  }
  return writeFolder(writer, root);
}

function writeFolder(writer: ObjectWriter, folder: Folder): string {
  const entries: TreeEntry[] = [];
  for (const [name, bytes] of folder.files)
    entries.push({ name, mode: "100644", oid: writer.write("blob", bytes) });
  for (const [name, sub] of folder.folders)
    entries.push({ name, mode: "40000", oid: writeFolder(writer, sub) });
  return writer.write("tree", formatTree(entries));
}

function clash(path: string): ConfvaultError {
  return new ConfvaultError(
    "BAD_INPUT",
    `File '${path}' is both a file and a folder in the same commit.`,
    "Give each path once.",
    { path },
  );
}
