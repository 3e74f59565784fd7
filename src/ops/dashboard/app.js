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
  const [found] = await Promise.all([
    api("/ops/points").catch(() => ({ current: null, live: null, drift: "unknown" })),
    loadPoints(),
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
}

/** The next page of restore points (one more than a page is asked for, to know if there are more). */
async function loadPoints() {
  const { restorePoints } = await api(`/restore-points?limit=${PAGE + 1}&offset=${points.length}`);
  morePoints = restorePoints.length > PAGE;
  points = points.concat(restorePoints.slice(0, PAGE));
  renderTimeline();
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
      const item = el(
        "li",
        {
          "data-tag": p.tag,
          "data-commit": p.commit,
          class: [isCurrent ? "is-current" : "", isLive ? "is-live" : ""].join(" ").trim(),
        },
        el(
          "div",
          {},
          el("span", { class: "tag" }, p.tag),
          isCurrent ? el("span", { class: "badge current", title: "tip of main" }, "current") : null,
          isLive
            ? el("span", { class: "badge live", title: "the live config.xml is this one" }, "live")
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
    $("restore-form").hidden = false;
    $("restore-reason").focus();
  } catch (err) {
    if (seq !== previewSeq) return;
    preview.textContent = `The preview failed: ${err.message}`;
    preview.className = "bad";
  }
}

async function doRestore(event) {
  event.preventDefault();
  const tag = $("restore-tag").textContent;
  const reason = $("restore-reason").value.trim();
  if (!reason) return say("A reason is required.", true);
  $("restore-confirm").disabled = true;
  try {
    const r = await api("/restore", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tag, reason }),
    });
    $("restore-section").hidden = true;
    say(`Restored ${tag} as ${r.tag}.`);
    await refresh();
  } catch (err) {
    say(`Restore failed: ${err.message}`, true);
  } finally {
    $("restore-confirm").disabled = false;
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
  $("restore-cancel").addEventListener("click", () => {
    previewSeq++;
    $("restore-section").hidden = true;
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void login(saved);
});
