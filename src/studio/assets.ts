/**
 * The studio's page, script and style sheet, served by the studio itself (no CDN, no
 * inline script or style: the Content-Security-Policy allows only these files). The
 * client builds every element with `textContent`: stored strings are shown as text.
 */

/** The HTML shell of the single-page app. */
export function pageHtml(): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<link rel="icon" href="data:,">',
    "<title>synthforge studio</title>",
    '<link rel="stylesheet" href="/assets/app.css">',
    '<script src="/assets/chart.js" defer></script>',
    '<script src="/assets/app.js" defer></script>',
    '</head><body><header class="top"><a href="#/">synthforge studio</a></header>',
    '<main id="app"></main></body></html>',
  ].join("\n");
}

/** The style sheet. */
export const APP_CSS = `:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --bg: #fff; --soft: #f5f7fa; --ok: #2e7d32; --bad: #c62828; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --line: #344054; --bg: #0f1320; --soft: #181e2e; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 10px 20px; border-bottom: 1px solid var(--line); display: flex; gap: 12px; align-items: baseline; }
header.top a { color: inherit; text-decoration: none; font-weight: 600; }
main { padding: 12px 20px 40px; max-width: 1400px; }
h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 16px; margin: 18px 0 6px; } h3 { font-size: 14px; margin: 14px 0 4px; }
.muted { color: var(--muted); }
.error { color: var(--bad); white-space: pre-wrap; }
.msg { min-height: 1.4em; font-weight: 600; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: 8px 0 12px; flex-wrap: wrap; }
.tabs a { padding: 6px 12px; color: inherit; text-decoration: none; border: 1px solid transparent; border-bottom: none; border-radius: 6px 6px 0 0; }
.tabs a.active { border-color: var(--line); background: var(--soft); font-weight: 600; }
table.grid { border-collapse: collapse; width: 100%; margin: 4px 0; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.grid th { background: var(--soft); font-weight: 600; }
table.grid td.q { max-width: 560px; }
tr.fail td:nth-child(4) { color: var(--bad); font-weight: 600; } tr.pass td:nth-child(4) { color: var(--ok); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px; background: var(--soft); }
.big { font-size: 22px; font-weight: 700; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.split { display: grid; grid-template-columns: minmax(240px, 1fr) 3fr; gap: 16px; }
ul.queue { align-self: start; list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: 8px; max-height: 80vh; overflow: auto; }
ul.queue li { padding: 8px; border-bottom: 1px solid var(--line); cursor: pointer; }
ul.queue li.sel { background: var(--soft); outline: 2px solid #4e79a7; outline-offset: -2px; }
.badge { display: inline-block; font-size: 11px; padding: 1px 6px; border-radius: 10px; border: 1px solid var(--line); }
.actions { display: flex; gap: 8px; margin: 4px 0 8px; }
button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--soft); color: inherit; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
input, select, textarea { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 6px; }
input.small { width: 80px; }
textarea { width: 100%; } .mono, textarea.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.box { border: 1px solid var(--line); border-radius: 8px; padding: 10px; margin: 8px 0; display: grid; gap: 6px; }
.box label.row { display: grid; grid-template-columns: 260px 1fr; gap: 8px; align-items: center; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 8px 0; }
.pager { display: flex; gap: 6px; margin: 8px 0; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.field { margin: 6px 0; } .field .label, .turn .label { font-size: 12px; color: var(--muted); font-weight: 600; }
.field .value, pre.question, pre.passage { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.field.code .value { background: #111827; color: #e5e7eb; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.side.chosen .value { border-left: 4px solid var(--ok); } .side.rejected .value { border-left: 4px solid var(--bad); }
.turns { display: grid; gap: 6px; } .turn pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.turn-assistant pre { border-left: 4px solid #4e79a7; } .turn-user pre { border-left: 4px solid #f28e2b; }
.passages { display: grid; gap: 6px; max-height: 360px; overflow: auto; }
.chart { margin-bottom: 20px; } .canvas-wrap { position: relative; height: 280px; }
kbd { border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; font-size: 12px; }
`;

/** The client script (plain ES5-style JavaScript, no build step). */
export const APP_JS = String.raw`"use strict";
(function () {
  // Every stored string reaches the page through textContent (never innerHTML).
  var root = document.getElementById("app");
  var timers = [];
  var keyHandler = null;
  var charts = [];

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === "text") el.textContent = String(v);
        else if (k === "cls") el.className = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else if (k === "value") el.value = v;
        else if (k === "checked") el.checked = !!v;
        else el.setAttribute(k, String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(el, x); });
    else if (typeof c === "string" || typeof c === "number") el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function fmt(n, d) { return n === null || n === undefined ? "–" : Number(n).toFixed(d === undefined ? 2 : d); }
  function usd(n) { return "$" + Number(n || 0).toFixed(4); }
  function safeHref(u) { return /^https?:\/\//i.test(String(u || "")) ? String(u) : null; }

  function api(path, opts) {
    var init = { credentials: "same-origin", headers: {} };
    if (opts && opts.body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          var e = new Error(j && j.error ? j.error.message : "HTTP " + r.status);
          e.code = j && j.error ? j.error.code : String(r.status);
          throw e;
        }
        return j;
      });
    });
  }
  function enc(s) { return encodeURIComponent(s); }
  function runApi(id, rest) { return "/api/runs/" + enc(id) + (rest || ""); }

  function stop() {
    timers.forEach(function (t) { clearInterval(t); });
    timers = [];
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    keyHandler = null;
  }
  function poll(fn, ms) {
    fn();
    timers.push(setInterval(fn, ms));
  }
  document.addEventListener("keydown", function (ev) {
    if (!keyHandler) return;
    var t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    keyHandler(ev);
  });

  function nav(runId, active) {
    var links = [
      ["overview", "Overview", "#/run/" + enc(runId)],
      ["review", "Review queue", "#/run/" + enc(runId) + "/review"],
      ["examples", "Examples", "#/run/" + enc(runId) + "/examples"],
      ["quality", "Quality", "#/run/" + enc(runId) + "/quality"],
      ["export", "Export", "#/run/" + enc(runId) + "/export"],
    ];
    return h("nav", { cls: "tabs" },
      h("a", { href: "#/" }, "← Runs"),
      links.map(function (l) {
        return h("a", { href: l[2], cls: l[0] === active ? "active" : "", "data-tab": l[0] }, l[1]);
      }));
  }
  function errorBox(e) { return h("p", { cls: "error", role: "alert", text: e.message || String(e) }); }

  // ---- Runs list -------------------------------------------------------------------
  function runsPage() {
    var body = h("tbody", { id: "runs-body" });
    var where = h("p", { cls: "muted" });
    add(root, [h("h1", { text: "Runs" }), where,
      h("table", { cls: "grid", id: "runs" },
        h("thead", null, h("tr", null, ["Run", "Status", "Type", "Topic", "Approved", "Dropped", "Created"].map(function (x) { return h("th", { text: x }); }))),
        body)]);
    poll(function () {
      api("/api/runs").then(function (j) {
        where.textContent = "Database: " + j.location;
        clear(body);
        if (!j.runs.length) body.appendChild(h("tr", null, h("td", { colspan: "7", text: "No runs yet." })));
        j.runs.forEach(function (r) {
          body.appendChild(h("tr", { "data-run": r.id },
            h("td", null, h("a", { href: "#/run/" + enc(r.id), text: r.id })),
            h("td", { text: r.status, cls: "status-" + r.status }),
            h("td", { text: r.trainingType }),
            h("td", { text: r.topic }),
            h("td", { cls: "approved", text: r.approved + "/" + r.targetCount }),
            h("td", { text: r.dropped }),
            h("td", { text: new Date(r.createdAt).toLocaleString() })));
        });
      }).catch(function (e) { clear(body); body.appendChild(h("tr", null, h("td", { colspan: "7" }, errorBox(e)))); });
    }, 1500);
  }

  // ---- Run overview (live) ---------------------------------------------------------
  function kv(label, id) { return h("div", { cls: "card" }, h("div", { cls: "muted", text: label }), h("div", { cls: "big", id: id, text: "…" })); }
  function runPage(runId) {
    var head = h("div");
    var cards = h("div", { cls: "cards" },
      kv("Approved", "approved-count"), kv("Target", "target-count"), kv("Dropped", "dropped-count"),
      kv("Cost so far", "cost"), kv("Calls per approved example", "calls-per-approved"), kv("Status", "run-status"));
    var qBody = h("tbody", { id: "question-counts" });
    var eBody = h("tbody", { id: "example-counts" });
    var dBody = h("tbody", { id: "drop-reasons" });
    var mBody = h("tbody", { id: "model-usage" });
    add(root, [head, nav(runId, "overview"), cards,
      h("div", { cls: "cols" },
        h("section", null, h("h2", { text: "Candidates by status" }), h("table", { cls: "grid" }, qBody)),
        h("section", null, h("h2", { text: "Examples by review status" }), h("table", { cls: "grid" }, eBody))),
      h("h2", { text: "Why candidates were dropped" }),
      h("table", { cls: "grid" }, h("thead", null, h("tr", null, h("th", { text: "Stage" }), h("th", { text: "Reason" }), h("th", { text: "Count" }))), dBody),
      h("h2", { text: "Model usage by agent" }),
      h("table", { cls: "grid" }, h("thead", null, h("tr", null, ["Agent", "Model", "Calls", "Cached", "Errors", "Tokens in", "Tokens out", "Cost"].map(function (x) { return h("th", { text: x }); }))), mBody)]);
    function counts(tbody, obj) {
      clear(tbody);
      Object.keys(obj).forEach(function (k) { tbody.appendChild(h("tr", null, h("td", { text: k }), h("td", { text: obj[k], "data-status": k }))); });
    }
    poll(function () {
      api(runApi(runId)).then(function (j) {
        clear(head);
        add(head, [h("h1", null, "Run ", h("code", { text: j.run.id })),
          h("p", { cls: "muted", text: j.run.trainingType + " · " + j.run.topic + " · provider " + j.run.provider + (j.run.stopReason ? " · stopped: " + j.run.stopReason : "") })]);
        document.getElementById("approved-count").textContent = String(j.questions.approved);
        document.getElementById("target-count").textContent = String(j.run.targetCount);
        document.getElementById("dropped-count").textContent = String(j.questions.rejected + j.questions.failed);
        document.getElementById("cost").textContent = usd(j.usage.costUsd);
        document.getElementById("calls-per-approved").textContent = fmt(j.callsPerApproved, 2);
        document.getElementById("run-status").textContent = j.run.status;
        counts(qBody, j.questions);
        counts(eBody, j.examples);
        clear(dBody);
        if (!j.dropReasons.length) dBody.appendChild(h("tr", null, h("td", { colspan: "3", text: "None dropped." })));
        j.dropReasons.forEach(function (d) { dBody.appendChild(h("tr", null, h("td", { text: d.stage }), h("td", { text: d.reason }), h("td", { text: d.n }))); });
        clear(mBody);
        j.modelUsage.forEach(function (m) {
          mBody.appendChild(h("tr", null, h("td", { text: m.role }), h("td", { text: m.model }), h("td", { text: m.calls }), h("td", { text: m.cached }),
            h("td", { text: m.errors }), h("td", { text: m.inputTokens }), h("td", { text: m.outputTokens }), h("td", { text: usd(m.costUsd) })));
        });
      }).catch(function (e) { clear(head); head.appendChild(errorBox(e)); });
    }, 1000);
  }

  // ---- Example rendering -----------------------------------------------------------
  function textBlock(label, value, cls) {
    var v = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
    return h("div", { cls: "field " + (cls || ""), "data-field": label }, h("div", { cls: "label", text: label }), h("pre", { cls: "value", text: v }));
  }
  // RLHF: the ranked responses, best first, each with its rating and flaw.
  function responsesBlock(list) {
    var rows = list.map(function (r, i) {
      var o = r && typeof r === "object" ? r : { text: r };
      return h("tr", { cls: "response", "data-rank": o.rank === undefined ? i + 1 : o.rank },
        h("td", { cls: "rank", text: o.rank === undefined ? i + 1 : o.rank }),
        h("td", { cls: "rating", text: o.rating === undefined ? "–" : o.rating + "/10" }),
        h("td", { cls: "flaw", text: o.flaw === undefined ? "" : o.flaw }),
        h("td", null, h("pre", { cls: "value", text: typeof o.text === "string" ? o.text : JSON.stringify(o) })));
    });
    return h("div", { cls: "field", "data-field": "responses" }, h("div", { cls: "label", text: "responses (ranked)" }),
      h("table", { cls: "grid responses" }, h("thead", null, h("tr", null, ["Rank", "Rating", "Flaw", "Response"].map(function (x) { return h("th", { text: x }); }))),
        h("tbody", null, rows)));
  }
  function renderExample(data) {
    var out = h("div", { cls: "example" });
    var used = {};
    function take(k) { used[k] = true; return data[k]; }
    if (Array.isArray(data.messages)) {
      if (data.system) out.appendChild(textBlock("system", take("system")));
      var turns = h("div", { cls: "turns" });
      take("messages").forEach(function (m) {
        var role = m && m.role ? String(m.role) : "?";
        turns.appendChild(h("div", { cls: "turn turn-" + role.replace(/[^a-z]/g, "") }, h("div", { cls: "label", text: role }), h("pre", { cls: "value", text: m && typeof m.content === "string" ? m.content : JSON.stringify(m) })));
      });
      out.appendChild(turns);
    } else if ("chosen" in data && "rejected" in data) {
      if ("prompt" in data) out.appendChild(textBlock("prompt", take("prompt")));
      if (Array.isArray(data.responses)) out.appendChild(responsesBlock(take("responses")));
      var left = h("div", { cls: "side chosen" }, textBlock("chosen", take("chosen")));
      var right = h("div", { cls: "side rejected" }, textBlock("rejected", take("rejected")));
      if ("chosen_rating" in data) left.appendChild(textBlock("chosen_rating", take("chosen_rating")));
      if ("rejected_rating" in data) right.appendChild(textBlock("rejected_rating", take("rejected_rating")));
      out.appendChild(h("div", { cls: "pair" }, left, right));
    } else if ("code" in data) {
      ["prompt", "reasoning"].forEach(function (k) { if (k in data) out.appendChild(textBlock(k, take(k))); });
      out.appendChild(textBlock("code", take("code"), "code"));
      if ("execution_output" in data) out.appendChild(textBlock("execution_output", take("execution_output"), "code"));
    }
    Object.keys(data).forEach(function (k) { if (!used[k]) out.appendChild(textBlock(k, data[k])); });
    return out;
  }
  function passages(ctx) {
    var box = h("div", { cls: "passages" });
    if (!ctx) { box.appendChild(h("p", { cls: "muted", text: "No ground truth stored." })); return box; }
    var parts = String(ctx).split(/\n(?=\[[^\]\n]+\])/);
    parts.forEach(function (p) { box.appendChild(h("pre", { cls: "passage", text: p.trim() })); });
    return box;
  }
  function detailView(d) {
    var q = d.question;
    var srcs = h("ul", { cls: "sources" });
    d.sources.forEach(function (s) {
      var href = safeHref(s.url);
      srcs.appendChild(h("li", null, h("code", { text: s.id }), " ",
        href ? h("a", { href: href, rel: "noreferrer noopener", target: "_blank", text: s.title || s.url }) : h("span", { text: s.title || s.url }),
        " · ", h("span", { cls: "licence", text: s.licence }), s.isPermissive ? " (permissive)" : ""));
    });
    if (!d.sources.length && q && q.contextSources) {
      q.contextSources.forEach(function (s) { srcs.appendChild(h("li", null, h("code", { text: s.sourceId }), " ", h("span", { text: s.title }), " · ", h("span", { cls: "licence", text: s.licence }))); });
    }
    var rv = h("tbody");
    d.reviews.forEach(function (r) {
      var who = r.kind === "human" && r.raw && r.raw.reviewer ? " (" + r.raw.reviewer + ")" : "";
      rv.appendChild(h("tr", { cls: r.passed ? "pass" : "fail", "data-kind": r.kind },
        h("td", { text: r.kind + who }), h("td", { text: r.round }), h("td", { text: fmt(r.score) }), h("td", { text: r.passed ? "pass" : "fail" }),
        h("td", null, h("ul", null, (r.reasons || []).map(function (x) { return h("li", { text: x }); }))),
        h("td", { text: new Date(r.createdAt).toLocaleString() })));
    });
    return h("div", { cls: "detail", id: "detail", "data-example": d.example.id },
      h("h2", null, "Example ", h("code", { text: d.example.id })),
      h("p", { cls: "muted" }, "status ", h("strong", { id: "detail-status", text: d.example.reviewStatus }), " · score " + fmt(d.example.qualityScore) + " · revision " + d.example.revision + " · model ", h("span", { text: d.example.model })),
      q ? h("div", null, h("h3", { text: "Question" }), h("p", { cls: "muted", text: q.subTopic + " · " + q.difficulty }), h("pre", { cls: "question", text: q.text })) : null,
      h("h3", { text: "Example (" + d.run.trainingType + ")" }), renderExample(d.example.data),
      h("h3", { text: "Ground truth" }), passages(q && q.groundTruthContext),
      h("h3", { text: "Sources" }), srcs,
      h("h3", { text: "Verdicts" }),
      h("table", { cls: "grid reviews" }, h("thead", null, h("tr", null, ["Check", "Round", "Score", "Verdict", "Reasons", "When"].map(function (x) { return h("th", { text: x }); }))), rv));
  }

  // ---- Review queue ----------------------------------------------------------------
  function reviewPage(runId) {
    var list = h("ul", { cls: "queue", id: "queue" });
    var pane = h("div", { cls: "pane", id: "pane" });
    var msg = h("p", { cls: "msg", id: "review-msg", role: "status" });
    var sample = h("input", { type: "number", min: "0", max: "200", value: "0", id: "approved-sample", cls: "small" });
    var items = [];
    var current = null;
    var detail = null;
    add(root, [h("h1", { text: "Review queue" }), nav(runId, "review"),
      h("p", { cls: "muted" }, "Examples the automatic review sent back (needs_revision). Keys: ", h("kbd", { text: "a" }), " approve · ", h("kbd", { text: "r" }), " reject · ", h("kbd", { text: "e" }), " edit then approve · ", h("kbd", { text: "j" }), "/", h("kbd", { text: "k" }), " next/previous. ",
        h("label", null, " Also show approved: ", sample)),
      msg, h("div", { cls: "split" }, list, pane)]);
    sample.addEventListener("change", load);
    function load() {
      api(runApi(runId, "/queue?approved=" + enc(sample.value || "0"))).then(function (j) {
        items = j.queue.rows.concat(j.approvedSample);
        clear(list);
        if (!items.length) list.appendChild(h("li", { cls: "muted", text: "Nothing to review." }));
        items.forEach(function (it) {
          list.appendChild(h("li", { "data-id": it.id, cls: it.id === current ? "sel" : "", onclick: function () { select(it.id); } },
            h("span", { cls: "badge", text: it.reviewStatus }), " ", h("span", { text: it.question.slice(0, 140) })));
        });
        if (!current || !items.some(function (x) { return x.id === current; })) { if (items[0]) select(items[0].id); else { current = null; clear(pane); } }
      }).catch(function (e) { msg.textContent = e.message; });
    }
    function select(id) {
      current = id;
      Array.prototype.forEach.call(list.children, function (li) { li.className = li.getAttribute("data-id") === id ? "sel" : ""; });
      api(runApi(runId, "/examples/" + enc(id))).then(function (d) { detail = d; show(); }).catch(function (e) { msg.textContent = e.message; });
    }
    function actions() {
      return h("div", { cls: "actions" },
        h("button", { id: "approve", onclick: approve, text: "Approve (a)" }),
        h("button", { id: "reject", onclick: rejectForm, text: "Reject (r)" }),
        h("button", { id: "edit", onclick: editForm, text: "Edit then approve (e)" }));
    }
    function show() { clear(pane); add(pane, [actions(), h("div", { id: "form" }), detailView(detail)]); }
    function decided(verb) {
      return function (j) { msg.textContent = verb + " " + j.example.id + " → " + j.example.reviewStatus; var i = items.findIndex(function (x) { return x.id === current; }); var nxt = items[i + 1]; current = nxt ? nxt.id : null; load(); };
    }
    function fail(e) { msg.textContent = "Refused: " + e.message; var fe = document.getElementById("form-error"); if (fe) fe.textContent = e.message; }
    function approve() { if (!current) return; api(runApi(runId, "/examples/" + enc(current) + "/decision"), { body: { action: "approve" } }).then(decided("Approved")).catch(fail); }
    function rejectForm() {
      if (!current) return;
      var f = document.getElementById("form"); clear(f);
      var reason = h("textarea", { id: "reject-reason", rows: "3", placeholder: "Why is it rejected?" });
      add(f, h("form", { cls: "box", onsubmit: function (ev) { ev.preventDefault(); api(runApi(runId, "/examples/" + enc(current) + "/decision"), { body: { action: "reject", reason: reason.value } }).then(decided("Rejected")).catch(fail); } },
        h("label", { text: "Reason" }), reason, h("p", { cls: "error", id: "form-error" }),
        h("button", { type: "submit", id: "reject-submit", text: "Reject" }), " ", h("button", { type: "button", onclick: function () { clear(f); }, text: "Cancel" })));
      reason.focus();
    }
    function editForm() {
      if (!current || !detail) return;
      var f = document.getElementById("form"); clear(f);
      var ta = h("textarea", { id: "edit-json", rows: "16", cls: "mono" });
      ta.value = JSON.stringify(detail.example.data, null, 2);
      var reason = h("input", { id: "edit-reason", placeholder: "What was changed (optional)" });
      add(f, h("form", { cls: "box", onsubmit: function (ev) {
        ev.preventDefault();
        var data;
        try { data = JSON.parse(ta.value); } catch (e) { document.getElementById("form-error").textContent = "Not valid JSON: " + e.message; return; }
        api(runApi(runId, "/examples/" + enc(current) + "/decision"), { body: { action: "edit", data: data, reason: reason.value } }).then(decided("Edited and approved")).catch(fail);
      } }, h("label", { text: "Example fields (JSON; checked by the training type's schema)" }), ta, reason, h("p", { cls: "error", id: "form-error" }),
        h("button", { type: "submit", id: "edit-submit", text: "Save and approve" }), " ", h("button", { type: "button", onclick: function () { clear(f); }, text: "Cancel" })));
      ta.focus();
    }
    keyHandler = function (ev) {
      if (ev.key === "a") { ev.preventDefault(); approve(); }
      else if (ev.key === "r") { ev.preventDefault(); rejectForm(); }
      else if (ev.key === "e") { ev.preventDefault(); editForm(); }
      else if (ev.key === "j" || ev.key === "k") {
        var i = items.findIndex(function (x) { return x.id === current; });
        var n = items[i + (ev.key === "j" ? 1 : -1)];
        if (n) select(n.id);
      }
    };
    load();
  }

  // ---- Examples browser ------------------------------------------------------------
  function examplesPage(runId, params) {
    var form = h("form", { id: "filters", cls: "filters" });
    var body = h("tbody", { id: "examples-body" });
    var info = h("p", { cls: "muted", id: "examples-info" });
    var pager = h("div", { cls: "pager" });
    var cursors = [null];
    var page = 0;
    var total = 0;
    function sel(name, label, values) {
      var s = h("select", { name: name, id: "f-" + name }, h("option", { value: "", text: "any " + label }));
      values.forEach(function (v) { s.appendChild(h("option", { value: v, text: v })); });
      if (params[name]) s.value = params[name];
      return h("label", null, label + " ", s);
    }
    function inp(name, label, attrs) {
      var a = { name: name, id: "f-" + name, value: params[name] || "" };
      for (var k in attrs) a[k] = attrs[k];
      return h("label", null, label + " ", h("input", a));
    }
    add(root, [h("h1", { text: "Examples" }), nav(runId, "examples"), form, info, h("table", { cls: "grid", id: "examples" },
      h("thead", null, h("tr", null, ["Example", "Status", "Score", "Sub-topic", "Difficulty", "Question"].map(function (x) { return h("th", { text: x }); }))), body), pager, h("div", { id: "example-detail" })]);
    Promise.all([api(runApi(runId)), api(runApi(runId, "/facets"))]).then(function (r) {
      var f = r[1];
      add(form, [sel("status", "status", r[0].statuses), inp("minScore", "score ≥", { type: "number", step: "any", min: "0", max: "1", cls: "small" }),
        inp("maxScore", "score ≤", { type: "number", step: "any", min: "0", max: "1", cls: "small" }),
        sel("subTopic", "sub-topic", f.subTopics), sel("failedCheck", "failed check", f.checks), sel("licence", "licence", f.licences),
        inp("q", "text", { type: "search", placeholder: "search question and example" }), h("button", { type: "submit", id: "apply", text: "Filter" })]);
      load();
    }).catch(function (e) { info.appendChild(errorBox(e)); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); cursors = [null]; page = 0; load(); });
    function query() {
      var fd = new FormData(form);
      var qs = [];
      fd.forEach(function (v, k) { if (String(v).trim() !== "") qs.push(enc(k) + "=" + enc(String(v))); });
      if (cursors[page]) qs.push("after=" + enc(cursors[page]), "count=0");
      return qs.join("&");
    }
    function load() {
      api(runApi(runId, "/examples?" + query())).then(function (j) {
        if (j.total !== null) total = j.total;
        info.textContent = total + " example(s) match · page " + (page + 1);
        clear(body);
        j.rows.forEach(function (x) {
          body.appendChild(h("tr", { "data-id": x.id },
            h("td", null, h("a", { href: "#", onclick: function (ev) { ev.preventDefault(); openDetail(x.id); }, text: x.id })),
            h("td", { text: x.reviewStatus }), h("td", { text: fmt(x.qualityScore) }), h("td", { text: x.subTopic }), h("td", { text: x.difficulty }),
            h("td", { cls: "q", text: x.question })));
        });
        cursors[page + 1] = j.next;
        clear(pager);
        add(pager, [h("button", { id: "prev", disabled: page === 0 ? "disabled" : null, onclick: function () { page--; load(); }, text: "← Previous" }), " ",
          h("button", { id: "next", disabled: j.next ? null : "disabled", onclick: function () { page++; load(); }, text: "Next →" })]);
      }).catch(function (e) { info.textContent = e.message; });
    }
    function openDetail(id) {
      var box = document.getElementById("example-detail");
      api(runApi(runId, "/examples/" + enc(id))).then(function (d) { clear(box); box.appendChild(detailView(d)); box.scrollIntoView(); }).catch(function (e) { clear(box); box.appendChild(errorBox(e)); });
    }
  }

  // ---- Quality dashboard -----------------------------------------------------------
  function qualityPage(runId) {
    var box = h("div", { id: "quality" });
    add(root, [h("h1", { text: "Quality" }), nav(runId, "quality"), box]);
    api(runApi(runId, "/quality")).then(function (j) {
      function chart(id, title, type, labels, datasets, table) {
        var canvas = h("canvas", { id: id, role: "img", "aria-label": title });
        box.appendChild(h("section", { cls: "chart" }, h("h2", { text: title }), h("div", { cls: "canvas-wrap" }, canvas), table));
        if (window.Chart) charts.push(new window.Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: type === "bar" && datasets.length > 1 }, y: { stacked: type === "bar" && datasets.length > 1, beginAtZero: true } } } }));
      }
      function tbl(head, rows) {
        return h("table", { cls: "grid small" }, h("thead", null, h("tr", null, head.map(function (x) { return h("th", { text: x }); }))),
          h("tbody", null, rows.map(function (r) { return h("tr", null, r.map(function (c) { return h("td", { text: c }); })); })));
      }
      var bucketLabels = j.histogram.map(function (_, i) { return (i / 10).toFixed(1) + "–" + ((i + 1) / 10).toFixed(1); });
      chart("chart-histogram", "Quality scores", "bar", bucketLabels, [{ label: "examples", data: j.histogram, backgroundColor: "#4e79a7" }],
        tbl(["Score", "Examples"], bucketLabels.map(function (l, i) { return [l, j.histogram[i]]; }).concat(j.unscored ? [["no score", j.unscored]] : [])));
      function rate(g) { return g.total ? Math.round((1000 * g.approved) / g.total) / 10 : 0; }
      chart("chart-subtopic", "Approval rate by sub-topic (%)", "bar", j.bySubTopic.map(function (g) { return g.key; }), [{ label: "approved %", data: j.bySubTopic.map(rate), backgroundColor: "#59a14f" }],
        tbl(["Sub-topic", "Examples", "Approved", "Rejected", "Rate"], j.bySubTopic.map(function (g) { return [g.key, g.total, g.approved, g.rejected, rate(g) + "%"]; })));
      chart("chart-difficulty", "Approval rate by difficulty (%)", "bar", j.byDifficulty.map(function (g) { return g.key; }), [{ label: "approved %", data: j.byDifficulty.map(rate), backgroundColor: "#f28e2b" }],
        tbl(["Difficulty", "Examples", "Approved", "Rejected", "Rate"], j.byDifficulty.map(function (g) { return [g.key, g.total, g.approved, g.rejected, rate(g) + "%"]; })));
      chart("chart-checks", "Verdicts by check", "bar", j.byCheck.map(function (c) { return c.check; }),
        [{ label: "passed", data: j.byCheck.map(function (c) { return c.passed; }), backgroundColor: "#59a14f" }, { label: "failed", data: j.byCheck.map(function (c) { return c.failed; }), backgroundColor: "#e15759" }],
        tbl(["Check", "Passed", "Failed"], j.byCheck.map(function (c) { return [c.check, c.passed, c.failed]; })));
    }).catch(function (e) { box.appendChild(errorBox(e)); });
  }

  // ---- Export ----------------------------------------------------------------------
  function exportPage(runId) {
    var form = h("form", { id: "export-form", cls: "box" });
    var result = h("pre", { id: "export-result", cls: "value" });
    add(root, [h("h1", { text: "Export" }), nav(runId, "export"), h("p", { cls: "muted", text: "The options of synthforge export; the file is written on the machine the studio runs on." }), form, result]);
    api(runApi(runId)).then(function (j) {
      var fmtSel = h("select", { name: "format", id: "x-format" }, j.formats.map(function (f) { return h("option", { value: f, text: f }); }));
      function row(label, el) { return h("label", { cls: "row" }, h("span", { text: label }), el); }
      add(form, [row("Format", fmtSel), row("Output file (.jsonl or .parquet)", h("input", { name: "out", id: "x-out", placeholder: "/path/to/train.jsonl" })),
        row("Review statuses (--status)", h("input", { name: "status", id: "x-status", placeholder: "approved,human_approved" })),
        row("Minimum score (--min-score)", h("input", { name: "minScore", id: "x-minScore", type: "number", step: "any", min: "0", max: "1" })),
        row("Licences (--licence)", h("input", { name: "licence", id: "x-licence", placeholder: "permissive or CC-BY-4.0,CC0-1.0" })),
        row("Splits (--split)", h("input", { name: "split", id: "x-split", placeholder: "train=0.9,test=0.1" })),
        row("Seed (--seed)", h("input", { name: "seed", id: "x-seed", placeholder: "0" })),
        row("Stratify (--stratify)", h("select", { name: "stratify", id: "x-stratify" }, h("option", { value: "", text: "none" }), h("option", { value: "sub_topic", text: "sub_topic" }), h("option", { value: "difficulty", text: "difficulty" }))),
        row("Metadata column (--metadata)", h("input", { type: "checkbox", name: "metadata", id: "x-metadata" })),
        row("Overwrite (--force)", h("input", { type: "checkbox", name: "force", id: "x-force" })),
        h("button", { type: "submit", id: "x-submit", text: "Export" })]);
    }).catch(function (e) { form.appendChild(errorBox(e)); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.elements, function (el) { if (!el.name) return; body[el.name] = el.type === "checkbox" ? el.checked : el.value; });
      result.textContent = "Exporting…";
      api(runApi(runId, "/export"), { body: body }).then(function (r) {
        var lines = ["wrote " + r.rows + " " + r.trainingType + " example(s) as " + r.format + " (" + r.fileType + ")" + (r.splits ? " in " + r.splits.length + " split files:" : " to " + r.path)];
        (r.splits || []).forEach(function (s) { lines.push("  " + s.name + ": " + s.rows + " row(s) → " + s.path); });
        (r.warnings || []).forEach(function (w) { lines.push("warning: " + w); });
        result.textContent = lines.join("\n");
      }).catch(function (e) { result.textContent = "error [" + e.code + "]: " + e.message; });
    });
  }

  // ---- Router ----------------------------------------------------------------------
  function parseHash() {
    var hash = location.hash.replace(/^#/, "") || "/";
    var qi = hash.indexOf("?");
    var params = {};
    if (qi >= 0) { hash.slice(qi + 1).split("&").forEach(function (kv) { var p = kv.split("="); if (p[0]) params[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || ""); }); hash = hash.slice(0, qi); }
    return { parts: hash.split("/").filter(Boolean).map(decodeURIComponent), params: params };
  }
  function render() {
    stop();
    clear(root);
    var r = parseHash();
    var p = r.parts;
    if (p[0] === "run" && p[1]) {
      if (p[2] === "review") return reviewPage(p[1]);
      if (p[2] === "examples") return examplesPage(p[1], r.params);
      if (p[2] === "quality") return qualityPage(p[1]);
      if (p[2] === "export") return exportPage(p[1]);
      return runPage(p[1]);
    }
    return runsPage();
  }
  window.addEventListener("hashchange", render);
  render();
})();
`;
