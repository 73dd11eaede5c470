/**
 * The status page served at `/`: one self-contained HTML document (inline style and script, no
 * build step) that polls `/v1/overview` on the node that served it once a second and redraws.
 * Every value from the cluster is inserted as text (textContent), never as HTML: lock names,
 * labels and metadata come from clients.
 *
 * The script avoids template literals so this file can hold it in one.
 */

/** How often the page polls, in milliseconds. */
export const STATUS_PAGE_POLL_MS = 1_000;

const STYLE = `
:root { --fg:#1d2330; --muted:#6b7385; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff; --leader:#0b7a3e;
  --warn:#b25d00; --bad:#b3261e; --accent:#2f5bd3; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif;
  color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:6px 24px; align-items:baseline; padding:14px 24px;
  background:#1d2330; color:#fff; }
header h1 { font-size:18px; margin:0 12px 0 0; }
header .kv { color:#c9cfdb; } header .kv b { color:#fff; }
#live { margin-left:auto; font-size:12px; }
#live.ok::before { content:"\\25CF "; color:#3ddc84; } #live.stale::before { content:"\\25CF "; color:#ff6b5e; }
main { padding:16px 24px 32px; display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(520px, 1fr)); }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
section.wide { grid-column:1 / -1; }
h2 { font-size:14px; margin:0 0 8px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
h2 .count { font-weight:normal; text-transform:none; letter-spacing:0; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:5px 8px; border-top:1px solid var(--line); vertical-align:top; }
th { border-top:none; font-weight:600; color:var(--muted); font-size:12px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:0 7px; border-radius:9px; font-size:12px; background:#e8ebf2; }
.badge.leader { background:#d6f3e2; color:var(--leader); font-weight:600; }
.badge.candidate, .badge.preCandidate { background:#fff0d9; color:var(--warn); }
.badge.down { background:#fbe0de; color:var(--bad); }
.badge.lock { background:#e3ebff; color:var(--accent); } .badge.semaphore { background:#efe3ff; color:#6a35c9; }
.holder { white-space:nowrap; } .token { font-weight:600; font-variant-numeric:tabular-nums; }
.muted { color:var(--muted); } .bad { color:var(--bad); } .lag { color:var(--warn); font-weight:600; }
.empty { color:var(--muted); font-style:italic; padding:6px 0; }
ul.events { list-style:none; margin:0; padding:0; max-height:340px; overflow:auto; }
ul.events li { padding:3px 0; border-top:1px solid var(--line); font-variant-numeric:tabular-nums; }
ul.events li:first-child { border-top:none; }
.meta { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; color:var(--muted); }
#error { display:none; background:#fbe0de; color:var(--bad); padding:8px 24px; }
`;

const SCRIPT = `
(function () {
  var POLL_MS = ${STATUS_PAGE_POLL_MS};
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') e.textContent = attrs[k]; else if (k === 'cls') e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function ago(ms) {
    if (ms < 1000) return ms + ' ms';
    var s = Math.round(ms / 1000);
    if (s < 120) return s + ' s';
    var m = Math.round(s / 60);
    return m < 120 ? m + ' min' : Math.round(m / 60) + ' h';
  }
  function table(headers, rows, emptyText) {
    if (rows.length === 0) return el('div', { cls: 'empty', text: emptyText });
    var head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', { cls: h.num ? 'num' : '', text: h.label })); });
    var body = el('tbody');
    rows.forEach(function (r) { body.appendChild(r); });
    return el('table', null, el('thead', null, head), body);
  }
  function td(content, cls) {
    var c = el('td', cls ? { cls: cls } : null);
    if (content !== null && content !== undefined) c.appendChild(typeof content === 'object' ? content : document.createTextNode(String(content)));
    return c;
  }
  function replace(id, node) { var host = document.getElementById(id); host.replaceChildren(node); }
  function setCount(id, shown, total) { document.getElementById(id).textContent = total > shown ? '(' + shown + ' of ' + total + ')' : '(' + total + ')'; }

  function renderMembers(d) {
    var rows = d.members.map(function (m) {
      var role = m.reachable ? el('span', { cls: 'badge ' + m.role, text: m.role }) : el('span', { cls: 'badge down', text: 'unreachable' });
      var tr = el('tr', { 'data-member': m.name },
        td(el('b', { text: m.name })), td(role),
        td(m.term, 'num'), td(m.commitIndex, 'num'), td(m.appliedIndex, 'num'),
        td(m.lag === null ? '' : el('span', { cls: m.lag > 0 ? 'lag' : '', text: String(m.lag) }), 'num'),
        td(m.reachable ? (m.leader || 'none') : el('span', { cls: 'bad', text: m.error })),
        td(m.membership, 'muted'), td(el('span', { cls: 'meta', text: m.clientUrl })));
      return tr;
    });
    replace('members', table([{ label: 'Member' }, { label: 'Role' }, { label: 'Term', num: 1 }, { label: 'Commit', num: 1 },
      { label: 'Applied', num: 1 }, { label: 'Lag', num: 1 }, { label: 'Sees leader' }, { label: 'Membership' }, { label: 'Client URL' }],
      rows, 'no members'));
  }
  function holderNode(h, withToken) {
    var parts = el('div', { cls: 'holder' }, 'session ' + h.sessionId);
    if (withToken) { parts.appendChild(document.createTextNode(' \\u00b7 token ')); parts.appendChild(el('span', { cls: 'token', text: String(h.token) })); }
    parts.appendChild(el('span', { cls: 'muted', text: ' \\u00b7 ' + ago(h.ageMs) }));
    if (h.metadata) parts.appendChild(el('div', { cls: 'meta', text: JSON.stringify(h.metadata) }));
    return parts;
  }
  function list(items, render, total) {
    var box = el('div');
    items.forEach(function (x) { box.appendChild(render(x)); });
    if (total > items.length) box.appendChild(el('div', { cls: 'muted', text: '+' + (total - items.length) + ' more' }));
    if (total === 0) box.appendChild(el('span', { cls: 'muted', text: '\\u2014' }));
    return box;
  }
  function renderNames(d) {
    var locks = d.names.list.filter(function (n) { return n.kind !== 'election'; });
    var elections = d.names.list.filter(function (n) { return n.kind === 'election'; });
    setCount('locks-count', locks.length, locks.length);
    replace('locks', table([{ label: 'Name' }, { label: 'Kind' }, { label: 'Holders (token)' }, { label: 'Waiters' },
      { label: 'Grants', num: 1 }, { label: 'Lock-delay' }],
      locks.map(function (n) {
        return el('tr', { 'data-lock': n.name },
          td(el('b', { text: n.name })),
          td(el('span', { cls: 'badge ' + n.kind, text: n.kind === 'semaphore' ? 'semaphore ' + n.holdersTotal + '/' + n.limit : 'lock' })),
          td(list(n.holders, function (h) { return holderNode(h, true); }, n.holdersTotal)),
          td(list(n.waiters, function (w) { return el('div', { cls: 'holder' }, 'session ' + w.sessionId, el('span', { cls: 'muted', text: ' \\u00b7 waiting ' + ago(w.ageMs) })); }, n.waitersTotal)),
          td(n.generation, 'num'),
          td(n.lockDelays > 0 ? el('span', { cls: 'lag', text: n.lockDelays + ' slot(s) held back' }) : ''));
      }), 'no lock or semaphore is held or waited for'));
    setCount('elections-count', elections.length, elections.length);
    replace('elections', table([{ label: 'Election' }, { label: 'Leader' }, { label: 'Term', num: 1 }, { label: 'Candidates' }],
      elections.map(function (n) {
        var h = n.holders[0];
        return el('tr', { 'data-election': n.name },
          td(el('b', { text: n.name })),
          td(h ? el('div', null, el('b', { text: h.value || '(no value)' }), el('span', { cls: 'muted', text: ' session ' + h.sessionId + ' \\u00b7 ' + ago(h.ageMs) })) : el('span', { cls: 'muted', text: 'no leader' })),
          td(h ? h.token : '', 'num'),
          td(list(n.waiters, function (w) { return el('div', null, (w.value || '(no value)') + ' ', el('span', { cls: 'muted', text: 'session ' + w.sessionId })); }, n.waitersTotal)));
      }), 'no election has a leader or candidates'));
  }
  function renderSessions(d) {
    setCount('sessions-count', d.sessions.list.length, d.sessions.total);
    replace('sessions', table([{ label: 'Session' }, { label: 'Label' }, { label: 'TTL' }, { label: 'Open for' }, { label: 'Holds/waits', num: 1 }],
      d.sessions.list.map(function (s) {
        return el('tr', { 'data-session': s.id }, td(el('b', { text: s.id })), td(s.label || '', 'muted'), td(ago(s.ttlMs)), td(ago(s.ageMs)), td(s.holds, 'num'));
      }), 'no open sessions'));
  }
  function eventText(e) {
    if (e.kind === 'granted') return (e.election ? 'elected ' : 'granted ') + e.name + ' to session ' + e.sessionId + ' (token ' + e.token + ')';
    if (e.kind === 'lost') return 'session ' + e.sessionId + ' lost ' + e.name + ' (token ' + e.token + ', ' + e.reason + ')';
    if (e.kind === 'sessionEnded') return 'session ' + e.sessionId + ' ' + e.reason;
    if (e.kind === 'electionChanged') return e.name + ': ' + (e.leader ? 'leader ' + (e.leader.value || '(no value)') + ', term ' + e.leader.term : 'no leader');
    return e.kind;
  }
  function renderRecent(d) {
    if (d.recent.length === 0) { replace('recent', el('div', { cls: 'empty', text: 'nothing applied since this node started' })); return; }
    var ul = el('ul', { cls: 'events' });
    d.recent.forEach(function (e) {
      var cls = e.kind === 'lost' || (e.kind === 'sessionEnded' && e.reason === 'expired') ? 'bad' : '';
      ul.appendChild(el('li', { 'data-event': e.kind }, el('span', { cls: 'muted', text: '#' + e.index + ' \\u00b7 ' + ago(Math.max(0, d.nowMs - e.atMs)) + ' ago \\u00b7 ' }), el('span', { cls: cls, text: eventText(e) })));
    });
    replace('recent', ul);
  }
  function render(d) {
    document.getElementById('leader').textContent = d.leader ? d.leader.name : 'none';
    document.getElementById('term').textContent = d.leader ? String(d.leader.term) : '\\u2014';
    document.getElementById('served-by').textContent = d.servedBy;
    document.getElementById('applied').textContent = String(d.appliedIndex);
    document.title = 'Baton \\u00b7 ' + (d.leader ? 'leader ' + d.leader.name : 'no leader');
    renderMembers(d); renderNames(d); renderSessions(d); renderRecent(d);
  }
  var failures = 0;
  function poll() {
    var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    var headers = m ? { authorization: 'Bearer ' + decodeURIComponent(m[1]) } : {};
    fetch('/v1/overview', { cache: 'no-store', headers: headers })
      .then(function (r) {
        if (r.status === 401) throw new Error('this cluster needs a token with read permission: open this page as /#token=<token>');
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (d) {
        failures = 0; render(d);
        var live = document.getElementById('live'); live.className = 'ok'; live.textContent = 'live \\u00b7 ' + new Date().toLocaleTimeString();
        document.getElementById('error').style.display = 'none';
      })
      .catch(function (err) {
        failures++;
        var live = document.getElementById('live'); live.className = 'stale'; live.textContent = 'not updating';
        var box = document.getElementById('error'); box.style.display = 'block';
        box.textContent = 'This node does not answer (' + err.message + '); ' + failures + ' attempt(s) failed. The data below may be stale.';
      })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Baton</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Baton</h1>
  <span class="kv">leader <b id="leader">…</b></span>
  <span class="kv">term <b id="term">…</b></span>
  <span class="kv">served by <b id="served-by">…</b> at applied index <b id="applied">…</b></span>
  <span id="live">connecting…</span>
</header>
<div id="error"></div>
<main>
  <section class="wide"><h2>Members</h2><div id="members"></div></section>
  <section class="wide"><h2>Locks and semaphores <span class="count" id="locks-count"></span></h2><div id="locks"></div></section>
  <section><h2>Elections <span class="count" id="elections-count"></span></h2><div id="elections"></div></section>
  <section><h2>Sessions <span class="count" id="sessions-count"></span></h2><div id="sessions"></div></section>
  <section class="wide"><h2>Recent grants, losses and expiries</h2><div id="recent"></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
