/**
 * The sandbox's stand-in for Apple Business Manager: one HTML page over the portal API, its
 * style and script served beside it as portal.css and portal.js (no build step, and nothing
 * inline, so a Content-Security-Policy without 'unsafe-inline' admits it). Wording follows
 * ABM where the seed guide quotes it ("Add MDM Server", "MDM Server Settings", "Choose File",
 * "Save", "Download Token", "Download Server Token"), and every control has an accessible
 * label so browser tests can drive it by role and name.
 */

export const PORTAL_STYLE = `
:root { color-scheme: light; --ink:#1d1d1f; --muted:#6e6e73; --line:#d2d2d7; --bg:#f5f5f7; --card:#fff; --blue:#0071e3; --red:#d70015; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:14px 28px; display:flex; align-items:baseline; gap:14px; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header span { color:var(--muted); }
main { max-width:1180px; margin:24px auto; padding:0 24px; display:grid; gap:20px; }
section { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:18px 20px; }
h2 { font-size:16px; margin:0 0 12px; font-weight:600; }
h3 { font-size:14px; margin:14px 0 8px; font-weight:600; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:8px 6px; border-bottom:1px solid #ececf0; vertical-align:middle; }
th { color:var(--muted); font-weight:500; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
button { font:inherit; border-radius:8px; border:1px solid var(--line); background:#fff; padding:6px 12px; cursor:pointer; }
button.primary { background:var(--blue); color:#fff; border-color:var(--blue); }
button.danger { color:var(--red); }
button:disabled { opacity:.5; cursor:default; }
input[type=text], input[type=number], select { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:8px; background:#fff; }
label { display:inline-flex; flex-direction:column; gap:4px; font-size:12px; color:var(--muted); }
.row { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; margin:8px 0; }
.actions { display:flex; gap:6px; flex-wrap:wrap; }
.settings { border:1px solid var(--line); border-radius:10px; padding:14px; margin-top:12px; background:#fafafc; }
.muted { color:var(--muted); }
.pill { display:inline-block; padding:1px 8px; border-radius:999px; background:#e8f2ff; color:#0050a0; font-size:12px; }
#status { margin:0; }
#status:empty { display:none; }
#status.error { color:var(--red); }
dialog { border:1px solid var(--line); border-radius:14px; padding:20px 22px; max-width:440px; }
dialog::backdrop { background:rgba(0,0,0,.25); }
.toggle { flex-direction:row; align-items:center; gap:8px; font-size:14px; color:var(--ink); }
`;

export const PORTAL_SCRIPT = `
const base = location.pathname.replace(/\\/+$/, '') + '/api';
const $ = (id) => document.getElementById(id);
// Mounted in Orchard the page comes with the signed-in user's CSRF token; standalone it has none.
const csrf = document.querySelector('meta[name="csrf-token"]');
let servers = [];
let listAfter = '';
let listHistory = [];

function say(message, isError) {
  const status = $('status');
  status.textContent = message;
  status.className = isError ? 'error' : '';
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (csrf) init.headers[csrf.dataset.header] = csrf.content;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  const response = await fetch(base + path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.message) || ('HTTP ' + response.status));
  return data;
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(text, label, onClick, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  if (className) b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

function day(iso) { return iso ? iso.slice(0, 10) : '—'; }

async function refresh() {
  const data = await api('GET', '/mdm-servers');
  servers = data.items;
  $('terms').checked = data.termsAccepted;
  $('unassigned-count').textContent = data.unassignedDeviceCount.toLocaleString();
  const body = $('servers-body');
  body.replaceChildren();
  if (servers.length === 0) {
    const row = document.createElement('tr');
    const td = cell(row, 'No MDM servers yet. Select Add MDM Server to connect one.', 'muted');
    td.colSpan = 5;
    body.appendChild(row);
  }
  for (const server of servers) {
    const row = document.createElement('tr');
    row.dataset.serverId = server.id;
    cell(row, server.name);
    cell(row, server.serverUuid, 'mono');
    cell(row, server.deviceCount.toLocaleString());
    cell(row, server.tokenIssuedAt ? 'Downloaded ' + day(server.tokenIssuedAt) + ', expires ' + day(server.tokenExpiresAt) : 'Not downloaded');
    const actions = cell(row, '');
    const box = document.createElement('div');
    box.className = 'actions';
    box.append(
      button('Download Token', 'Download Token for ' + server.name, () => openDownload(server), 'primary'),
      button('Replace Certificate', 'Replace Certificate for ' + server.name, () => replaceCertificate(server)),
      button('Delete', 'Delete ' + server.name, () => removeServer(server), 'danger'),
    );
    if (server.faultRules > 0) {
      const pill = document.createElement('span');
      pill.className = 'pill';
      pill.textContent = server.faultRules + ' fault rule' + (server.faultRules === 1 ? '' : 's');
      box.append(pill);
    }
    actions.appendChild(box);
    body.appendChild(row);
  }
  for (const id of ['assign-server', 'unassign-server', 'list-server']) {
    const select = $(id);
    const keep = select.value;
    const fixed = [...select.options].filter((o) => o.dataset.fixed);
    select.replaceChildren(...fixed);
    for (const server of servers) select.add(new Option(server.name, server.id));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }
  const clock = await api('GET', '/clock');
  $('clock-now').textContent = clock.now.replace('T', ' ').slice(0, 19) + ' UTC' + (clock.offsetSeconds ? ' (advanced ' + Math.round(clock.offsetSeconds / 86400 * 10) / 10 + ' days)' : '');
  await listDevices();
}

let downloadTarget = null;
function openDownload(server) {
  downloadTarget = server;
  $('download-name').textContent = server.name;
  $('download-dialog').showModal();
}

function downloadToken() {
  if (!downloadTarget) return;
  const link = document.createElement('a');
  link.href = base + '/mdm-servers/' + encodeURIComponent(downloadTarget.id) + '/token';
  link.download = '';
  document.body.appendChild(link);
  link.click();
  link.remove();
  $('download-dialog').close();
  say('Server token for ' + downloadTarget.name + ' downloaded. Earlier tokens of this server no longer work.');
  setTimeout(() => refresh().catch((e) => say(e.message, true)), 500);
}

function replaceCertificate(server) {
  const input = $('replace-file');
  input.setAttribute('aria-label', 'Replacement certificate file for ' + server.name);
  input.onchange = async () => {
    const file = input.files[0];
    if (!file) return;
    const form = new FormData();
    form.append('publicKey', file, file.name);
    try {
      await api('PUT', '/mdm-servers/' + encodeURIComponent(server.id) + '/certificate', form);
      say('Certificate of ' + server.name + ' replaced. Download a new token to use it.');
      await refresh();
    } catch (e) { say(e.message, true); }
    input.value = '';
  };
  input.click();
}

async function removeServer(server) {
  if (!confirm('Delete ' + server.name + '? Its devices become unassigned and its tokens stop working.')) return;
  try { await api('DELETE', '/mdm-servers/' + encodeURIComponent(server.id)); say(server.name + ' deleted.'); await refresh(); }
  catch (e) { say(e.message, true); }
}

async function listDevices(direction) {
  if (direction === 'next') listHistory.push(listAfter);
  else if (direction === 'prev') listAfter = listHistory.pop() || '';
  else { listAfter = ''; listHistory = []; }
  const serverId = $('list-server').value;
  const query = new URLSearchParams({ limit: '50' });
  if (serverId) query.set('serverId', serverId);
  if (listAfter) query.set('after', listAfter);
  const data = await api('GET', '/devices?' + query);
  const names = Object.fromEntries(servers.map((s) => [s.id, s.name]));
  const body = $('devices-body');
  body.replaceChildren();
  for (const device of data.items) {
    const row = document.createElement('tr');
    cell(row, device.serialNumber, 'mono');
    cell(row, device.model);
    cell(row, device.color);
    cell(row, device.os);
    cell(row, device.mdmServerId ? (names[device.mdmServerId] || device.mdmServerId) : 'Unassigned');
    // empty, assigned, pushed (the device fetched it at activation) or removed.
    const profile = cell(row, device.profileStatus);
    if (device.profilePushedAt) profile.title = 'Fetched by the device ' + device.profilePushedAt;
    body.appendChild(row);
  }
  $('devices-prev').disabled = listHistory.length === 0;
  $('devices-next').disabled = !data.nextCursor;
  $('devices-next').onclick = () => { listAfter = data.nextCursor; listDevices('next').catch((e) => say(e.message, true)); };
}

async function run(action) {
  try { await action(); } catch (e) { say(e.message, true); }
}

$('add-server').addEventListener('click', () => { $('server-settings').hidden = false; $('server-name').focus(); });
$('cancel-server').addEventListener('click', () => { $('server-settings').hidden = true; });
$('server-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    const form = new FormData();
    form.append('name', $('server-name').value);
    const file = $('server-key').files[0];
    if (file) form.append('publicKey', file, file.name);
    const created = await api('POST', '/mdm-servers', form);
    $('server-form').reset();
    $('server-settings').hidden = true;
    say('MDM server ' + created.name + ' saved. Select Download Token to get its server token.');
    await refresh();
  });
});
$('download-confirm').addEventListener('click', downloadToken);
$('download-cancel').addEventListener('click', () => $('download-dialog').close());
$('add-devices').addEventListener('click', () => run(async () => {
  const body = { count: Number($('device-count').value) };
  if ($('device-family').value) body.family = $('device-family').value;
  const result = await api('POST', '/devices', body);
  say(result.count.toLocaleString() + ' devices added to the organization.');
  await refresh();
}));
$('assign').addEventListener('click', () => run(async () => {
  const id = $('assign-server').value;
  if (!id) throw new Error('Choose an MDM server to assign devices to.');
  const result = await api('POST', '/mdm-servers/' + encodeURIComponent(id) + '/devices', { count: Number($('assign-count').value) });
  say(result.assigned.toLocaleString() + ' devices assigned.');
  await refresh();
}));
$('unassign').addEventListener('click', () => run(async () => {
  const id = $('unassign-server').value;
  if (!id) throw new Error('Choose the MDM server to unassign devices from.');
  const result = await api('DELETE', '/mdm-servers/' + encodeURIComponent(id) + '/devices', { count: Number($('unassign-count').value) });
  say(result.unassigned.toLocaleString() + ' devices unassigned.');
  await refresh();
}));
$('terms').addEventListener('change', () => run(async () => {
  const result = await api('POST', '/terms', { accepted: $('terms').checked });
  say(result.accepted ? 'Terms and conditions accepted.' : 'Terms and conditions withdrawn: DEP calls now answer T_C_NOT_SIGNED.');
}));
$('advance').addEventListener('click', () => run(async () => {
  await api('POST', '/clock', { advanceSeconds: Number($('advance-days').value) * 86400 });
  await refresh();
}));
$('list-server').addEventListener('change', () => run(() => listDevices()));
$('devices-prev').addEventListener('click', () => run(() => listDevices('prev')));
refresh().catch((e) => say(e.message, true));
`;

const BODY = `
<header><h1>Apple Business Manager</h1><span>Orchard sandbox — simulated, no Apple account involved</span></header>
<main>
  <p id="status" role="status" aria-live="polite"></p>

  <section aria-labelledby="servers-title">
    <h2 id="servers-title">MDM Server Assignment</h2>
    <div class="row"><button type="button" id="add-server" class="primary">Add MDM Server</button></div>
    <div id="server-settings" class="settings" hidden>
      <form id="server-form">
        <h3>MDM Server Settings</h3>
        <div class="row">
          <label for="server-name">MDM Server Name<input type="text" id="server-name" name="name" required maxlength="128" placeholder="RMM Server 1"></label>
          <label for="server-key">Public key<input type="file" id="server-key" name="publicKey" accept=".pem,.crt,.cer,application/x-pem-file" required></label>
        </div>
        <p class="muted">Upload the public key (.pem) from your MDM server. Choose File, then Save.</p>
        <div class="row"><button type="submit" class="primary">Save</button><button type="button" id="cancel-server">Cancel</button></div>
      </form>
    </div>
    <table aria-label="MDM servers">
      <thead><tr><th>Name</th><th>Server UUID</th><th>Devices</th><th>Server token</th><th>Actions</th></tr></thead>
      <tbody id="servers-body"></tbody>
    </table>
    <input type="file" id="replace-file" accept=".pem,.crt,.cer" hidden aria-label="Replacement certificate file">
  </section>

  <section aria-labelledby="devices-title">
    <h2 id="devices-title">Devices</h2>
    <p class="muted">Unassigned devices in the organization: <strong id="unassigned-count">0</strong></p>
    <div class="row">
      <label for="device-count">Number of devices<input type="number" id="device-count" min="1" max="1000000" value="10"></label>
      <label for="device-family">Device family<select id="device-family">
        <option value="">Mixed</option><option>iPhone</option><option>iPad</option><option>Mac</option><option value="AppleTV">Apple TV</option><option value="Vision">Apple Vision</option>
      </select></label>
      <button type="button" id="add-devices">Add devices</button>
    </div>
    <div class="row">
      <label for="assign-count">Devices to assign<input type="number" id="assign-count" min="1" value="10"></label>
      <label for="assign-server">Assign to MDM server<select id="assign-server"><option value="" data-fixed="1">Choose…</option></select></label>
      <button type="button" id="assign">Assign</button>
      <label for="unassign-count">Devices to unassign<input type="number" id="unassign-count" min="1" value="1"></label>
      <label for="unassign-server">Unassign from MDM server<select id="unassign-server"><option value="" data-fixed="1">Choose…</option></select></label>
      <button type="button" id="unassign">Unassign</button>
    </div>
    <h3>Device list</h3>
    <div class="row">
      <label for="list-server">Show devices<select id="list-server"><option value="" data-fixed="1">All devices</option><option value="unassigned" data-fixed="1">Unassigned</option></select></label>
      <button type="button" id="devices-prev">Previous</button><button type="button" id="devices-next">Next</button>
    </div>
    <table aria-label="Devices">
      <thead><tr><th>Serial number</th><th>Model</th><th>Color</th><th>OS</th><th>MDM server</th><th>Profile</th></tr></thead>
      <tbody id="devices-body"></tbody>
    </table>
  </section>

  <section aria-labelledby="org-title">
    <h2 id="org-title">Organization</h2>
    <div class="row"><label class="toggle" for="terms"><input type="checkbox" id="terms"> Terms and conditions accepted</label></div>
    <div class="row">
      <span>Sandbox clock: <strong id="clock-now"></strong></span>
      <label for="advance-days">Days to advance<input type="number" id="advance-days" min="0" step="any" value="1"></label>
      <button type="button" id="advance">Advance clock</button>
    </div>
  </section>
</main>

<dialog id="download-dialog" aria-labelledby="download-title">
  <h2 id="download-title">Download Server Token</h2>
  <p>A new server token will be created for <strong id="download-name"></strong>. Tokens downloaded earlier for this MDM server stop working.</p>
  <div class="row"><button type="button" id="download-cancel">Cancel</button><button type="button" id="download-confirm" class="primary">Download Server Token</button></div>
</dialog>
`;

export interface PortalPageOptions {
  /** Where the page is served, e.g. "/sandbox/abm"; portal.css and portal.js live under it. */
  readonly base: string;
  /** When the host app has users: the token its session needs on writes, and the header to send it in. */
  readonly csrf?: { readonly header: string; readonly token: string };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function htmlDocument(base: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}<title>Apple Business Manager (Orchard sandbox)</title>
<link rel="stylesheet" href="${escapeHtml(base)}/portal.css">
</head>
<body>${body}</body>
</html>
`;
}

export function portalPage(options: PortalPageOptions): string {
  const csrf =
    options.csrf === undefined
      ? ''
      : `<meta name="csrf-token" data-header="${escapeHtml(options.csrf.header)}" content="${escapeHtml(options.csrf.token)}">\n`;
  return htmlDocument(options.base, csrf, `${BODY}<script src="${escapeHtml(options.base)}/portal.js"></script>\n`);
}

/** What a browser that is not signed in to the host app sees instead of the portal. */
export function signInPage(base: string, signInUrl: string): string {
  return htmlDocument(
    base,
    '',
    `
<header><h1>Apple Business Manager</h1><span>Orchard sandbox — simulated, no Apple account involved</span></header>
<main>
  <section aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in to Orchard first</h2>
    <p>This sandbox is part of Orchard and only answers Orchard's signed-in users.
    <a href="${escapeHtml(signInUrl)}">Sign in to Orchard</a>, then open this page again.</p>
  </section>
</main>
`,
  );
}
