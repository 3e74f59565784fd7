import { ConfvaultError } from "../errors/confvault-error.ts";

/** Namespace of restore-point tags. */
export const RESTORE_POINT_PREFIX = "rp/";
const MAX_NAME_LENGTH = 200;
const NAME_HINT =
  "Use letters, digits and . _ - + , = @ separated by single '/', e.g. 'before-upgrade' or 'rp/2026/q1'; " +
  "no component may start with '.' or '-' or end with '.lock'; at most 200 characters.";

/**
 * Why git's `check-ref-format` would refuse a full ref name, or null when it accepts it.
 * Mirrors refs.c: components must be non-empty, must not start with "." nor end with ".lock";
 * no "..", "@{", control characters, space or any of ~^:?*[\ ; no leading/trailing "/", no
 * trailing "."; "@" alone is refused; at least two components unless `allowOneLevel`.
 */
export function refFormatProblem(ref: string, allowOneLevel = false): string | null {
  if (ref.length === 0) return "the name is empty";
  if (ref === "@") return "'@' alone is not a valid name";
  if (ref.startsWith("/")) return "the name starts with '/'";
  if (ref.endsWith("/")) return "the name ends with '/'";
  if (ref.endsWith(".")) return "the name ends with '.'";
  if (ref.includes("..")) return "the name contains '..'";
  if (ref.includes("@{")) return "the name contains '@{'";
  for (const ch of ref) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return "the name contains a control character";
    if (" ~^:?*[\\".includes(ch)) return `the name contains '${ch}'`;
  }
  const parts = ref.split("/");
  if (!allowOneLevel && parts.length < 2) return "the name has a single component";
  for (const part of parts) {
    if (part.length === 0) return "the name contains '//'";
    if (part.startsWith(".")) return `component '${part}' starts with '.'`;
    if (part.endsWith(".lock")) return `component '${part}' ends with '.lock'`;
  }
  return null;
}

/** Throws BAD_REF_NAME unless git would accept `ref` as a full ref name. */
export function assertRefFormat(ref: string): string {
  const problem = refFormatProblem(ref);
  if (problem !== null) {
    throw new ConfvaultError("BAD_REF_NAME", `Invalid git ref name '${ref}': ${problem}.`, NAME_HINT, {
      ref,
    });
  }
  return ref;
}

/**
 * Validates a user-given restore-point name (with or without the "rp/" prefix) and returns the
 * full tag name "rp/<name>". Stricter than git: a conservative character set, no component
 * starting with "-" or ".", and no attempt to name another namespace ("refs/…").
 */
export function validateRestorePointName(name: string): string {
  const refuse = (problem: string): never => {
    throw new ConfvaultError("BAD_REF_NAME", `Invalid restore point name '${name}': ${problem}.`, NAME_HINT, {
      name,
    });
  };
  if (typeof name !== "string" || name.length === 0) return refuse("the name is empty");
  if (name.length > MAX_NAME_LENGTH) return refuse(`longer than ${MAX_NAME_LENGTH} characters`);
  const rest = name.startsWith(RESTORE_POINT_PREFIX) ? name.slice(RESTORE_POINT_PREFIX.length) : name;
  if (rest.length === 0) return refuse("nothing follows 'rp/'");
  if (rest === "refs" || rest.startsWith("refs/")) return refuse("it names a git ref namespace ('refs/')");
  const full = `${RESTORE_POINT_PREFIX}${rest}`;
  if (full.length > MAX_NAME_LENGTH) return refuse(`longer than ${MAX_NAME_LENGTH} characters`);
  const gitProblem = refFormatProblem(`refs/tags/${full}`);
  if (gitProblem !== null) return refuse(gitProblem);
  const bad = /[^A-Za-z0-9._+,=@/-]/.exec(rest);
  if (bad) return refuse(`it contains '${bad[0]}' (only letters, digits and . _ - + , = @ / are allowed)`);
  for (const part of rest.split("/")) {
    if (part.startsWith("-")) return refuse(`component '${part}' starts with '-'`);
    if (part === "@") return refuse("a component is '@' alone");
  }
  return full;
}

/** Automatic restore-point name: "rp/<UTC yyyymmddThhmmssZ>-<seq>". */
export function newRestorePointName(date: Date, seq: number): string {
  if (!Number.isInteger(seq) || seq < 0) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `Restore point sequence must be a non-negative integer, got ${seq}.`,
    );
  }
  const stamp = date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `${RESTORE_POINT_PREFIX}${stamp}-${seq}`;
}
