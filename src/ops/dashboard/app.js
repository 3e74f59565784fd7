// confvault dashboard: plain DOM, no framework, no build step. Everything shown goes through
// textContent (never innerHTML), so reasons and names typed by users cannot inject markup.

const TOKEN_KEY = "confvault-token";
const $ = (id) => document.getElementById(id);
/** Restore points per page: the first page, then "Load more" asks for the next. */
const PAGE = 200;
let me = null;
const picked = { a: null, b: null };
/** Restore points loaded so far (newest first) and whether the server has more. */
let points = [];
let morePoints = false;
/** The current (tip of main) and live restore points, and the drift between them. */
let markers = { current: null, live: null, drift: "none" };
/** Bumped per restore dialog, so a late preview never fills a newer dialog. */
let previewSeq = 0;
/** The restore point the time picker found (highlighted and picked as A), or null. */
let atPick = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

async function api(path, init) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = Object.assign({ authorization: `Bearer ${token}` }, init?.headers ?? {});
  const res = await fetch(`/api/v1${path}`, Object.assign({}, init, { headers }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body.error?.message || `HTTP ${res.status}`);
    err.status = res.status;
    err.code = body.error?.code;
    err.data = body.error?.data;
    throw err;
  }
  return body;
}

function say(text, bad) {
  const m = $("message");
  m.textContent = text;
  m.className = bad ? "error" : "ok";
}

function table(target, head, rows) {
  const t = $(target);
  t.replaceChildren(
    el("tr", {}, ...head.map((h) => el("th", {}, h))),
    ...rows.map((r) =>
      el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", {}, c ?? "—")))),
    ),
  );
}

function status(ok, text) {
  return el("span", { class: ok ? "ok" : "bad" }, text);
}

async function login(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const ops = await api("/ops");
    me = ops.you;
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("who").textContent = `${me.name} (${me.role})`;
    await refresh(ops);
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("login-error").textContent = err.status === 401 ? "That token was not accepted." : err.message;
  }
}

async function refresh(ops) {
  ops = ops || (await api("/ops"));
  points = [];
  const trash = loadTrash();
  // The timeline is drawn once, with the new markers (not first with the old ones).
  const [found] = await Promise.all([
    api("/ops/points").catch(() => ({ current: null, live: null, drift: "unknown" })),
    loadPoints(false),
  ]);
  markers = found;
  renderTimeline();
  renderMarkers();
  renderOps(ops);
  $("nodes-section").hidden = true;
  if (ops.nodes !== "standalone") {
    try {
      renderNodes(await api("/cluster"));
    } catch {
      // No cluster status on this node: the section stays hidden.
    }
  }
  await trash;
}

/** The next page of restore points (one more than a page is asked for, to know if there are more). */
async function loadPoints(render = true) {
  const { restorePoints } = await api(`/restore-points?limit=${PAGE + 1}&offset=${points.length}`);
  morePoints = restorePoints.length > PAGE;
  points = points.concat(restorePoints.slice(0, PAGE));
  if (render) renderTimeline();
}

async function loadMore() {
  const button = $("load-more");
  button.disabled = true;
  try {
    await loadPoints();
  } catch (err) {
    say(`Loading restore points failed: ${err.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function pointName(marker) {
  return marker ? marker.tag || marker.commit.slice(0, 12) : "none";
}

function renderMarkers() {
  const badge = $("drift-badge");
  const drifted = markers.drift !== "none";
  badge.textContent = markers.drift === "unknown" ? "live unknown" : drifted ? "drift" : "in sync";
  badge.className = `badge ${drifted ? "drift" : "synced"}`;
  badge.title = drifted ? markers.drift : "the live config.xml is the current restore point";
  const live = markers.live
    ? pointName(markers.live)
    : markers.drift === "live config missing"
      ? "missing"
      : "matches no restore point";
  $("markers-text").textContent = drifted
    ? `Current: ${pointName(markers.current)} · live: ${live} (${markers.drift})`
    : `Current and live: ${pointName(markers.current)}`;
}

function renderTimeline() {
  const list = $("timeline");
  const current = markers.current?.commit;
  const live = markers.live?.commit;
  list.replaceChildren(
    ...points.map((p) => {
      const pick = (side) =>
        el(
          "label",
          { class: "pick" },
          el("input", {
            type: "radio",
            name: `pick-${side}`,
            value: p.tag,
            "data-side": side,
            checked: picked[side] === p.tag,
            onchange: () => {
              picked[side] = p.tag;
              $("diff-button").disabled = !(picked.a && picked.b);
            },
          }),
          ` ${side.toUpperCase()}`,
        );
      const isCurrent = p.commit === current;
      const isLive = p.commit === live;
      const isAt = atPick !== null && p.tag === atPick.tag;
      const item = el(
        "li",
        {
          "data-tag": p.tag,
          "data-commit": p.commit,
          class: [isCurrent ? "is-current" : "", isLive ? "is-live" : "", isAt ? "is-at" : ""]
            .join(" ")
            .trim(),
        },
        el(
          "div",
          {},
          el("span", { class: "tag" }, p.tag),
          isCurrent ? el("span", { class: "badge current", title: "tip of main" }, "current") : null,
          isLive
            ? el("span", { class: "badge live", title: "the live config.xml is this one" }, "live")
            : null,
          isAt
            ? el("span", { class: "badge at", title: `in force at ${atPick.at}` }, `in force at ${atPick.at}`)
            : null,
        ),
        el("div", { class: "meta" }, `${p.time} · ${p.actor} · ${p.source || "apply"}`),
        el("div", { class: "reason" }, p.reason),
        el("div", {}, pick("a"), pick("b")),
      );
      if (me && me.role === "operator") {
        item.append(
          el(
            "button",
            { type: "button", class: "restore", onclick: () => void askRestore(p.tag) },
            "Restore…",
          ),
        );
      }
      return item;
    }),
  );
  $("points-count").textContent =
    `${points.length} restore point${points.length === 1 ? "" : "s"} shown${morePoints ? "; older ones follow" : ""}`;
  const more = $("load-more");
  more.hidden = !morePoints;
  more.textContent = `Load ${PAGE} more`;
}

/**
 * The restore dialog: first what the restore would change (the policy diff from the current
 * restore point to the chosen one), and only then the reason and the button.
 */
async function askRestore(tag) {
  const seq = ++previewSeq;
  $("restore-section").hidden = false;
  $("restore-form").hidden = true;
  $("restore-tag").textContent = tag;
  $("restore-reason").value = "";
  resetScope([], false);
  const from = markers.current ? markers.current.tag || markers.current.commit : "main";
  $("restore-preview-title").textContent = `${pointName(markers.current)} (current) → ${tag}`;
  const preview = $("restore-preview");
  preview.textContent = "Loading the preview…";
  preview.className = "loading";
  const drift = $("restore-drift");
  drift.hidden = markers.drift === "none";
  drift.textContent =
    markers.drift === "none"
      ? ""
      : `The live config.xml is not the current restore point (${markers.drift}): the restore replaces it as well.`;
  $("restore-section").scrollIntoView({ block: "nearest" });
  try {
    const d = await api(`/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(tag)}`);
    if (seq !== previewSeq) return;
    preview.textContent = d.text || "no policy changes: this restore point has the current policy";
    preview.className = "";
    const { sections, certificate } = changedSections(d.entries || []);
    resetScope(sections, certificate);
    $("restore-form").hidden = false;
    $("restore-reason").focus();
  } catch (err) {
    if (seq !== previewSeq) return;
    preview.textContent = `The preview failed: ${err.message}`;
    preview.className = "bad";
  }
}

/**
 * The top-level sections a diff's entries touch, as section paths POST /api/v1/restore takes
 * (`name`, or `name[@attr="value"]` for an element keyed by an id attribute), with how many
 * changes each holds; and whether the certificate changed.
 */
function changedSections(entries) {
  const sections = new Map();
  let certificate = false;
  for (const e of entries) {
    if (e.kind === "certificate-changed") {
      certificate = true;
      continue;
    }
    const spec = sectionSpec(firstStep(e.path || ""));
    if (spec) sections.set(spec, (sections.get(spec) || 0) + 1);
  }
  return { sections: [...sections].map(([path, changes]) => ({ path, changes })), certificate };
}

/** The first step of a diff path; `/` inside `[...]` (an id value) does not end it. */
function firstStep(path) {
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === "[") depth++;
    else if (ch === "]") depth = Math.max(0, depth - 1);
    else if (ch === "/" && depth === 0) return path.slice(0, i);
  }
  return path;
}

/** A diff key (`allow[id=7]`, `log`, `rule[2]`) as a section path; positions become the bare name. */
function sectionSpec(step) {
  const m = /^([^[\]]+)(?:\[(.*)\])?$/.exec(step);
  if (!m) return null;
  const [, name, pred] = m;
  if (pred === undefined) return name;
  const eq = pred.indexOf("=");
  if (eq < 1) return name;
  const attr = pred.slice(0, eq);
  const value = pred.slice(eq + 1);
  // A section path splits at every "/" and ends a predicate at "]": such ids take the bare name.
  if (!/^[\w.:-]+$/.test(attr) || /[/\]]/.test(value)) return name;
  const quoted = value.includes('"') ? `'${value}'` : `"${value}"`;
  return `${name}[@${attr}=${quoted}]`;
}

/** The "what to restore" part of the dialog: whole point by default, one box per changed section. */
function resetScope(sections, certificate) {
  $("scope-whole").checked = true;
  const none = sections.length === 0 && !certificate;
  $("scope-sections").disabled = none;
  $("scope-none").hidden = !none;
  $("restore-sections").hidden = true;
  $("restore-missing").value = "refuse";
  const err = $("restore-error");
  err.hidden = true;
  err.replaceChildren();
  $("section-list").replaceChildren(
    ...sections.map((s) =>
      el(
        "label",
        { class: "section-pick" },
        el("input", { type: "checkbox", name: "section", value: s.path, "data-section": s.path }),
        " ",
        el("code", {}, s.path),
        el("span", { class: "hint" }, ` ${s.changes} change${s.changes === 1 ? "" : "s"}`),
      ),
    ),
    ...(certificate
      ? [
          el(
            "label",
            { class: "section-pick" },
            el("input", { type: "checkbox", name: "certificate", id: "pick-certificate" }),
            " the certificate and its key",
          ),
        ]
      : []),
  );
}

function onScopeChange() {
  $("restore-sections").hidden = !$("scope-sections").checked;
}

/** What the dialog asks for: the whole point, or the picked sections / certificate. */
function restoreRequest(tag, reason) {
  const body = { tag, reason };
  if (!$("scope-sections").checked) return body;
  const sections = [...document.querySelectorAll("#section-list input[data-section]:checked")].map(
    (i) => i.value,
  );
  const certificate = $("pick-certificate")?.checked === true;
  if (sections.length === 0 && !certificate) return null;
  if (sections.length > 0) body.sections = sections;
  if (certificate) body.certificate = true;
  const missing = $("restore-missing").value;
  if (sections.length > 0 && missing !== "refuse") body.missing = missing;
  return body;
}

/** A refused partial restore: its message and, when the server listed them, the one-sided sections. */
function showRestoreError(err) {
  const box = $("restore-error");
  const listed = Array.isArray(err.data?.sections) ? err.data.sections : [];
  box.replaceChildren(
    el("p", {}, `Restore refused: ${err.message}`),
    ...(listed.length
      ? [
          el("ul", { id: "restore-error-list" }, ...listed.map((x) => el("li", {}, String(x)))),
          el(
            "p",
            { class: "hint" },
            "Choose what to do with them under “A picked section that exists on one side only”, then restore again.",
          ),
        ]
      : []),
  );
  box.hidden = false;
  if (listed.length) $("restore-missing").focus();
}

async function doRestore(event) {
  event.preventDefault();
  const tag = $("restore-tag").textContent;
  const reason = $("restore-reason").value.trim();
  if (!reason) return say("A reason is required.", true);
  const request = restoreRequest(tag, reason);
  if (request === null) return say("Pick at least one section, or restore the whole point.", true);
  $("restore-confirm").disabled = true;
  $("restore-error").hidden = true;
  try {
    const r = await api("/restore", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    $("restore-section").hidden = true;
    // What came from the point: the server's outcome per section (a skipped one is "kept").
    const taken = Array.isArray(r.sections)
      ? r.sections.filter((o) => o.action !== "kept" && o.action !== "unchanged").map((o) => o.section)
      : request.sections || [];
    const kept = Array.isArray(r.sections)
      ? r.sections.filter((o) => o.action === "kept").map((o) => o.section)
      : [];
    const what =
      request.sections || request.certificate
        ? ` (${[...taken, ...(request.certificate ? ["certificate"] : [])].join(", ") || "nothing"} only${kept.length ? `; kept as they were: ${kept.join(", ")}` : ""})`
        : "";
    say(
      r.changed === false
        ? `Nothing to restore: ${tag} is current and live.`
        : `Restored ${tag}${what} as ${r.tag}.`,
    );
    await refresh();
  } catch (err) {
    if (request.sections || request.certificate) showRestoreError(err);
    say(`Restore failed: ${err.message}`, true);
  } finally {
    $("restore-confirm").disabled = false;
  }
}

/** The time picker: the restore point in force at a local date-time, found, shown and picked as A. */
async function findAt(event) {
  event.preventDefault();
  const value = $("at-time").value;
  const result = $("at-result");
  const when = value ? new Date(value) : null;
  if (!when || Number.isNaN(when.getTime())) {
    result.textContent = "Choose a date and time.";
    result.className = "error";
    return;
  }
  $("at-button").disabled = true;
  try {
    const p = await api(`/restore-points/at?time=${encodeURIComponent(when.toISOString())}`);
    atPick = { commit: p.commit, tag: p.tag, at: p.at };
    if (p.tag === null) {
      result.textContent = `At ${p.at} commit ${p.commit.slice(0, 12)} (made ${p.time}) was in force; its restore point was pruned (see Deleted restore points).`;
      result.className = "";
      renderTimeline();
      return;
    }
    // Older points come in pages: load until it is there (or nothing is left).
    while (!points.some((x) => x.tag === p.tag) && morePoints) await loadPoints();
    picked.a = p.tag;
    $("diff-button").disabled = !(picked.a && picked.b);
    renderTimeline();
    result.textContent = `At ${p.at} ${p.tag} (made ${p.time}) was in force; it is picked as A.`;
    result.className = "ok";
    document.querySelector(`#timeline li.is-at`)?.scrollIntoView({ block: "nearest" });
  } catch (err) {
    atPick = null;
    renderTimeline();
    result.textContent = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    result.className = "error";
  } finally {
    $("at-button").disabled = false;
  }
}

/** `2026-11-08T05:00:00.000Z` → `2026-11-08 05:00Z` (the full time is in the title). */
function shortTime(iso) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(?:\.\d+)?Z$/.exec(iso || "");
  if (!m) return iso;
  return `${m[1]} ${m[2]}${m[3] && m[3] !== ":00" ? m[3] : ""}Z`;
}

/** The trash: restore points prune removed, with an Undelete button for operators. */
async function loadTrash() {
  let deleted;
  try {
    ({ deleted } = await api("/trash"));
  } catch {
    $("trash-section").hidden = true;
    return;
  }
  $("trash-section").hidden = false;
  $("trash-empty").hidden = deleted.length > 0;
  const t = $("trash");
  t.hidden = deleted.length === 0;
  const operator = me && me.role === "operator";
  t.replaceChildren(
    el(
      "tr",
      {},
      ...["restore point", "made", "deleted", "expires", "reason", ...(operator ? [""] : [])].map((h) =>
        el("th", {}, h),
      ),
    ),
    ...deleted.map((d) =>
      el(
        "tr",
        { "data-tag": d.tag },
        el("td", { class: "tag" }, d.tag),
        el("td", { title: d.time }, shortTime(d.time)),
        el("td", { title: d.deletedAt }, shortTime(d.deletedAt)),
        el("td", { title: d.expiresAt }, shortTime(d.expiresAt)),
        el("td", { class: "reason" }, d.subject),
        operator
          ? el(
              "td",
              {},
              el(
                "button",
                { type: "button", class: "undelete", onclick: (e) => void doUndelete(d.tag, e.target) },
                "Undelete",
              ),
            )
          : null,
      ),
    ),
  );
}

async function doUndelete(tag, button) {
  button.disabled = true;
  try {
    const r = await api("/undelete", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tag }),
    });
    say(`Brought ${r.tag} back from the trash.`);
    await refresh();
  } catch (err) {
    say(`Undelete failed: ${err.message}`, true);
    button.disabled = false;
  }
}

async function showDiff() {
  const { a, b } = picked;
  try {
    const d = await api(`/diff?from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}`);
    $("diff-section").hidden = false;
    $("diff-title").textContent = `${a} → ${b}`;
    $("diff-text").textContent = d.text || "no policy changes";
    $("diff-section").scrollIntoView({ block: "nearest" });
  } catch (err) {
    say(`Diff failed: ${err.message}`, true);
  }
}

function renderOps(ops) {
  table(
    "remotes",
    ["remote", "last push", "result", "last success", "not off-site"],
    ops.remotes.map((r) => [
      r.name,
      r.lastPush || "never",
      r.ok === null ? "—" : status(r.ok, r.ok ? "ok" : r.error || "error"),
      r.lastSuccess,
      String(r.lagCommits),
    ]),
  );
  const d = ops.drills;
  $("drills").replaceChildren(
    el(
      "p",
      {},
      "Last good drill: ",
      d.lastSuccess ? `${d.lastSuccess.ref} at ${d.lastSuccess.time}` : "never",
    ),
    el(
      "p",
      {},
      "Last failure: ",
      d.lastFailure
        ? status(false, `${d.lastFailure.ref} at ${d.lastFailure.time}: ${d.lastFailure.error}`)
        : "none",
    ),
  );
  table(
    "schedules",
    ["job", "UTC", "last run", "result", "missed"],
    ops.schedules.map((s) => [
      s.job,
      s.cron,
      s.lastRun,
      s.lastResult ? status(s.lastResult === "ok", s.lastResult) : "—",
      String(s.missed),
    ]),
  );
  const c = ops.certificate;
  $("certificate").replaceChildren(
    c ? status(!c.warning, `${c.subject}, expires ${c.notAfter} (${c.expiresInDays} days)`) : "none recorded",
  );
  $("alerts").replaceChildren(
    ...(ops.alerts.length
      ? ops.alerts.map((a) => el("li", { class: "bad" }, `${a.title} — since ${a.since}`))
      : [el("li", {}, "none")]),
  );
}

function renderNodes(cluster) {
  $("nodes-section").hidden = false;
  if (cluster.role === "master") {
    table(
      "nodes",
      ["node", "applied", "lag", "health", "last contact"],
      cluster.nodes.map((n) => [
        n.name,
        n.applied ? n.applied.tag || n.applied.commit.slice(0, 12) : "never",
        n.lag === null ? "—" : String(n.lag),
        status(n.health !== "failed", n.health),
        n.lastContact,
      ]),
    );
  } else {
    table(
      "nodes",
      ["node", "master", "applied"],
      [[cluster.node, cluster.masterNode || cluster.master, cluster.applied ? cluster.applied.tag : "never"]],
    );
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void login($("token").value.trim());
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  $("diff-button").addEventListener("click", () => void showDiff());
  $("load-more").addEventListener("click", () => void loadMore());
  $("restore-form").addEventListener("submit", (e) => void doRestore(e));
  $("scope-whole").addEventListener("change", onScopeChange);
  $("scope-sections").addEventListener("change", onScopeChange);
  $("at-form").addEventListener("submit", (e) => void findAt(e));
  $("restore-cancel").addEventListener("click", () => {
    previewSeq++;
    $("restore-section").hidden = true;
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void login(saved);
});
