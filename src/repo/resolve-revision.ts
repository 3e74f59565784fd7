import { ConfvaultError } from "../errors/confvault-error.ts";
import { RESTORE_POINT_PREFIX, refFormatProblem } from "./ref-name.ts";

/** What resolving a revision reads from the repository (the engine's ref store and object reader). */
export interface RevisionSource {
  /** The oid a full ref name points at (symbolic refs such as HEAD followed), or null. */
  readRef(ref: string): Promise<string | null>;
  /** The commit an object names, annotated tags peeled; null when absent or not a commit. */
  peelToCommit(oid: string): Promise<string | null>;
  readCommit(oid: string): Promise<{ parents: string[]; message: string }>;
  /** Full oid of a unique hex prefix (loose objects and packs); the matches when several. */
  expandPrefix(prefix: string): Promise<{ oid: string } | { ambiguous: string[] } | null>;
  /** Restore points, to name the candidates of an ambiguous revision (optional). */
  listTags?(): Promise<Array<{ name: string; commit: string }>>;
}

export const REVISION_HINT =
  "Give a restore point (its name with or without 'rp/', see `confvault log`), 'main', 'HEAD' or '@', " +
  "a commit id (at least 4 hex digits), optionally followed by ~N (N commits back) or ^ / ^N (a parent), e.g. main~1.";

const FULL_OID = /^[0-9a-f]{40}$/i;
const OID_PREFIX = /^[0-9a-f]{4,39}$/i;
const STEP = /^(?:~(\d*)|\^\{(?:commit)?\}|\^(\d*))/;

interface Candidate {
  /** How the name matched: a full ref name, or "commit" for a hex prefix. */
  name: string;
  commit: string;
}

/**
 * Resolves a revision as git does (gitrevisions(7)), to a commit oid:
 * - a full commit id, or a prefix of at least 4 hex digits (REF_AMBIGUOUS lists the commits when
 *   several match; objects that are not commits, such as blobs, do not count);
 * - a name: `refs/…`, then `refs/tags/N`, `refs/heads/N`, `refs/remotes/N` (git's order), then the
 *   restore point `rp/N`, so a `--tag short-timeouts` point is `short-timeouts` as well;
 *   `HEAD`, and `@` for HEAD;
 * - followed by any number of `~N` (N first parents back; `~` is `~1`), `^N` (the Nth parent; `^`
 *   is `^1`, `^0` the commit itself) and `^{}` / `^{commit}`.
 * A name that matches several refs (or a ref and a commit id prefix) pointing at different
 * commits is REF_AMBIGUOUS with the candidates in the message and in `data.candidates`; a branch
 * wins over the `rp/` shorthand (`main` is the branch even when a restore point is named rp/main).
 */
export async function resolveRevision(revision: string, source: RevisionSource): Promise<string> {
  const notFound = (why: string, data: Record<string, unknown> = {}): never => {
    throw new ConfvaultError("REF_NOT_FOUND", `'${revision}' ${why}.`, REVISION_HINT, {
      ref: revision,
      ...data,
    });
  };
  if (typeof revision !== "string" || revision.trim().length === 0) return notFound("is not a revision");
  if (revision.includes("@{")) {
    return notFound("uses reflog syntax (@{…}), which confvault does not keep; use ~N or a restore point");
  }
  const cut = revision.search(/[~^]/);
  const base = cut === -1 ? revision : revision.slice(0, cut);
  let rest = cut === -1 ? "" : revision.slice(cut);
  if (base.length === 0) return notFound("names no commit before its ~ or ^");

  let commit = await resolveBase(base === "@" ? "HEAD" : base, revision, source, notFound);
  let walked = base;
  while (rest.length > 0) {
    const step = STEP.exec(rest);
    if (!step) return notFound(`has '${rest}' where ~N, ^N or ^{commit} was expected`);
    rest = rest.slice(step[0].length);
    if (step[1] !== undefined) {
      const count = step[1] === "" ? 1 : Number(step[1]);
      for (let i = 0; i < count; i++) {
        const parent = (await source.readCommit(commit)).parents[0];
        if (parent === undefined) {
          return notFound(
            `goes back ${count} commit${count === 1 ? "" : "s"} from ${walked}, but only ${i} exist`,
            {
              commit,
            },
          );
        }
        commit = parent;
      }
      walked = `${walked}${step[0]}`;
    } else if (step[2] !== undefined) {
      const n = step[2] === "" ? 1 : Number(step[2]);
      if (n > 0) {
        const parents = (await source.readCommit(commit)).parents;
        const parent = parents[n - 1];
        if (parent === undefined) {
          return notFound(
            `asks for parent ${n} of ${walked}, which has ${parents.length === 0 ? "no parent" : parents.length === 1 ? "one parent" : `${parents.length} parents`}`,
            { commit },
          );
        }
        commit = parent;
      }
      walked = `${walked}${step[0]}`;
    }
    // ^{} and ^{commit}: the commit already is one.
  }
  return commit;
}

async function resolveBase(
  base: string,
  revision: string,
  source: RevisionSource,
  notFound: (why: string, data?: Record<string, unknown>) => never,
): Promise<string> {
  if (FULL_OID.test(base)) {
    return (
      (await source.peelToCommit(base.toLowerCase())) ?? notFound("does not name a commit in this repository")
    );
  }
  const [exact, shorthand] = refCandidates(base);
  const found = async (refsToTry: string[]): Promise<Candidate[]> => {
    const out: Candidate[] = [];
    for (const ref of refsToTry) {
      const oid = await source.readRef(ref);
      if (oid === null) continue;
      const commit = await source.peelToCommit(oid);
      if (commit === null) return notFound(`points at ${oid} (${ref}), not a commit`, { target: ref });
      out.push({ name: ref, commit });
    }
    return out;
  };
  const candidates = await found(exact);
  // The rp/ shorthand counts unless a branch of that name exists (internal "main" stays the branch).
  if (!candidates.some((c) => c.name.startsWith("refs/heads/"))) candidates.push(...(await found(shorthand)));
  if (OID_PREFIX.test(base)) candidates.push(...(await commitsByPrefix(base.toLowerCase(), source)));
  const distinct = new Map<string, Candidate[]>();
  for (const c of candidates) distinct.set(c.commit, [...(distinct.get(c.commit) ?? []), c]);
  if (distinct.size === 1) return candidates[0]!.commit;
  if (distinct.size === 0) return notFound("is not a restore point, branch or commit in this repository");
  throw await ambiguous(revision, base, distinct, source);
}

/** Refs a short name may mean: git's own order, then the restore point shorthand `rp/<name>`. */
function refCandidates(name: string): [string[], string[]] {
  if (name.startsWith("refs/")) return [refFormatProblem(name) === null ? [name] : [], []];
  if (/^[A-Z_]*HEAD$/.test(name)) return [[name], []];
  if (refFormatProblem(name, true) !== null) return [[], []];
  const exact = [
    `refs/tags/${name}`,
    `refs/heads/${name}`,
    `refs/remotes/${name}`,
    `refs/remotes/${name}/HEAD`,
  ];
  const shorthand = name.startsWith(RESTORE_POINT_PREFIX) ? [] : [`refs/tags/${RESTORE_POINT_PREFIX}${name}`];
  return [exact, shorthand];
}

/** The commits (tags peeled) whose id, or whose tag object's id, starts with `prefix`. */
async function commitsByPrefix(prefix: string, source: RevisionSource): Promise<Candidate[]> {
  const found = await source.expandPrefix(prefix);
  if (found === null) return [];
  const oids = "oid" in found ? [found.oid] : found.ambiguous;
  const out: Candidate[] = [];
  for (const oid of oids) {
    // Blobs and trees that share the prefix are not what a revision means (git's commit-ish rule).
    const commit = await source.peelToCommit(oid).catch(() => null);
    if (commit !== null) out.push({ name: "commit", commit });
  }
  return out;
}

async function ambiguous(
  revision: string,
  base: string,
  distinct: Map<string, Candidate[]>,
  source: RevisionSource,
): Promise<ConfvaultError> {
  const tags = new Map<string, string[]>();
  try {
    for (const t of (await source.listTags?.()) ?? [])
      tags.set(t.commit, [...(tags.get(t.commit) ?? []), t.name]);
  } catch {
    // Naming the candidates is a courtesy; the ambiguity is the error.
  }
  const candidates: Array<{ commit: string; refs: string[]; tags: string[]; subject: string }> = [];
  for (const [commit, matches] of distinct) {
    const message = await source
      .readCommit(commit)
      .then((c) => c.message)
      .catch(() => "");
    candidates.push({
      commit,
      refs: matches.filter((m) => m.name !== "commit").map((m) => shortRef(m.name)),
      tags: tags.get(commit) ?? [],
      subject: message.split("\n")[0] ?? "",
    });
  }
  const lines = candidates.map((c) => {
    const names = [...new Set([...c.refs, ...c.tags])];
    const label = names.length > 0 ? ` (${names.join(", ")})` : "";
    return `  ${c.commit.slice(0, 12)}${label}${c.subject ? ` ${c.subject}` : ""}`;
  });
  const what = candidates.every((c) => c.refs.length === 0) ? "commit id prefix" : "revision";
  return new ConfvaultError(
    "REF_AMBIGUOUS",
    `${what === "commit id prefix" ? "Commit id prefix" : "Revision"} '${base}'${base === revision ? "" : ` (in '${revision}')`} is ambiguous; it could be:\n${lines.join("\n")}`,
    what === "commit id prefix"
      ? "Give more hex digits of the commit id."
      : "Use a full name (rp/…, refs/heads/…, refs/tags/…) or more hex digits of the commit id.",
    { ref: revision, candidates },
  );
}

function shortRef(ref: string): string {
  if (ref.startsWith("refs/tags/")) return ref.slice("refs/tags/".length);
  if (ref.startsWith("refs/heads/")) return `branch ${ref.slice("refs/heads/".length)}`;
  return ref;
}
