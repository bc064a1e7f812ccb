// fedsync's web page: health, conflicts and their resolution, from fedsyncd's JSON API on this origin.
// Plain DOM, no libraries, nothing loaded from elsewhere. Keys and values come from etcd and are shown
// as text only (textContent, text nodes; never parsed as markup). The API token is kept in sessionStorage (this tab) only.
'use strict';

(() => {
  const REFRESH_MS = 3000;
  const TOKEN_KEY = 'fedsync.apiToken';
  const $ = (id) => document.getElementById(id);

  const state = {
    selected: null,      // id of the conflict shown in the detail
    listJson: null,      // last list answer, to re-render only on change
    detailJson: null,    // last detail answer, same
    detail: null,        // the record shown
    pending: null,       // the resolution waiting for confirmation: {body, text}
    busy: false,         // a resolution is under way
    timer: null,
  };

  /** An element with attributes and children; strings become text nodes, never markup. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function show(node, text) {
    node.textContent = text || '';
    node.hidden = !text;
  }

  // ---------------------------------------------------------------- formatting

  function age(iso) {
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return '';
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + (m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }

  function duration(ms) {
    if (typeof ms !== 'number') return '';
    if (ms < 1000) return ms + ' ms';
    if (ms < 120000) return (ms / 1000).toFixed(1) + ' s';
    return age(new Date(Date.now() - ms).toISOString());
  }

  function time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  function timeEl(iso) {
    return iso ? el('time', {datetime: iso, title: iso, text: time(iso)}) : el('span', {class: 'muted', text: '—'});
  }

  function badge(text, kind) {
    return el('span', {class: 'badge badge-' + (kind || text), text: text});
  }

  function dl(target, rows) {
    clear(target);
    for (const [term, value] of rows) {
      if (value === undefined) continue;
      target.append(el('div', {class: 'pair'}, el('dt', {text: term}),
        el('dd', {}, value === null ? el('span', {class: 'muted', text: '—'}) : value)));
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = {'Accept': 'application/json'};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && method !== 'GET') headers['Authorization'] = 'Bearer ' + token;
    // A call that hangs must not stop the refresh loop: reads give up after 15 s; a resolution
    // waits up to about 20 s for its writes (more when forwarded), so changes get 60 s.
    const abort = new AbortController();
    const timeoutMs = method === 'GET' ? 15000 : 60000;
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let response;
    let text;
    try {
      response = await fetch(path, {
        method, headers, cache: 'no-store', credentials: 'same-origin', redirect: 'error', signal: abort.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await response.text();
    } catch (e) {
      throw new ApiError(0, 'fedsyncd did not answer ' + method + ' ' + path
        + (abort.signal.aborted ? ' within ' + timeoutMs / 1000 + ' s' : ': ' + e.message));
    } finally {
      clearTimeout(timer);
    }
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (!response.ok) {
      const why = json && typeof json.error === 'string' ? json.error : (text || response.statusText);
      throw new ApiError(response.status, response.status + ': ' + why);
    }
    return json;
  }

  /** A call that changes something: asks for the token on 401/403 and tries again, until cancelled. */
  async function change(method, path, body) {
    for (;;) {
      try {
        return await api(method, path, body);
      } catch (e) {
        if (e.status !== 401 && e.status !== 403) throw e;
        if (sessionStorage.getItem(TOKEN_KEY) !== null) sessionStorage.removeItem(TOKEN_KEY);
        const token = await askToken(e.message);
        if (token === null) throw e;
        sessionStorage.setItem(TOKEN_KEY, token);
      }
    }
  }

  function askToken(reason) {
    return new Promise((resolve) => {
      const dialog = $('token-dialog');
      const form = $('token-form');
      const input = $('token-input');
      const cancel = $('token-cancel');
      $('token-reason').textContent = 'fedsyncd answered ' + reason;
      input.value = '';
      const done = (value) => {
        form.removeEventListener('submit', onSubmit);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      };
      const onSubmit = (ev) => {
        ev.preventDefault();
        const value = input.value.trim();
        if (value) done(value);
      };
      const onCancel = (ev) => {
        ev.preventDefault();
        done(null);
      };
      form.addEventListener('submit', onSubmit);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      input.focus();
    });
  }

  // ---------------------------------------------------------------- health

  async function refreshStatus() {
    const s = await api('GET', '/api/v1/status');
    const raft = s.raft || null;
    dl($('summary'), [
      ['Health', s.unhealthy ? badge('unhealthy: ' + s.unhealthy, 'bad') : badge('healthy', 'good')],
      ['This replica', raft ? el('span', {}, raft.self + ' ', badge(raft.role, raft.role)) : undefined],
      ['Raft leader', raft ? (raft.leader === null ? badge('none', 'bad') : raft.leader) : undefined],
      ['Raft term', raft ? String(raft.term) : undefined],
      ['Replicas', raft && raft.peers && raft.peers.length > 1
        ? raft.peers.map((p) => p.id + ' (' + p.role + ')').join(', ') : undefined],
      ['Fencing term', String(s.term)],
      ['Writer', s.writer === null ? null : String(s.writer)],
      ['Policy', s.policy === null ? null : String(s.policy)],
      ['Prefixes', (s.prefixes || []).join(', ')],
      ['Running since', timeEl(s.startedAt)],
    ]);

    const clusters = clear($('clusters').tBodies[0]);
    for (const c of s.clusters || []) {
      clusters.append(el('tr', {'data-cluster': c.name},
        el('th', {scope: 'row', text: c.name}),
        el('td', {}, badge(c.state, c.state === 'live' ? 'good' : (c.state === 'loading' || c.state === 'connecting') ? 'warn' : 'bad')),
        el('td', {class: 'num', text: c.revision}),
        el('td', {class: 'num', text: c.owedKeys}),
        el('td', {}, c.downSince ? timeEl(c.downSince) : ''),
        el('td', {class: 'wrap', text: c.error || ''})));
    }
    const pairs = clear($('pairs').tBodies[0]);
    for (const p of s.pairs || []) {
      pairs.append(el('tr', {},
        el('th', {scope: 'row', text: p.from + ' → ' + p.to}),
        el('td', {class: 'num', text: p.cursorRevision}),
        el('td', {class: 'num' + (p.lagRevisions > 0 ? ' warn' : ''), text: p.lagRevisions}),
        el('td', {class: 'num', text: duration(p.lagMillis)})));
    }
    if (!(s.pairs || []).length) pairs.append(el('tr', {}, el('td', {colspan: 4, class: 'muted', text: 'no pairs (this replica does not mirror)'})));

    const verify = clear($('verify'));
    const v = s.verify;
    verify.append(el('h3', {text: 'Last verification'}));
    if (!v) {
      verify.append(el('p', {class: 'muted', text: 'No verification pass yet.'}));
    } else {
      const rows = el('dl', {class: 'summary'});
      dl(rows, [
        ['Ran', timeEl(v.lastRun)],
        ['Took', duration(v.tookMillis)],
        ['Clusters', (v.clusters || []).join(', ')],
        ['Keys checked', String(v.keysChecked)],
        ['Divergent', v.divergent > 0 ? badge(String(v.divergent), 'bad') : '0'],
        ['Repaired', String(v.repaired)],
        ['Conflicts', String(v.conflicts)],
        ['Explained', String(v.explained)],
        ['Tombstones collected', String(v.tombstonesCollected)],
        ['Error', v.error ? badge(v.error, 'bad') : undefined],
      ]);
      verify.append(rows);
    }

    const notices = clear($('notices'));
    for (const p of s.problems || []) {
      notices.append(el('li', {class: 'problem'}, badge('problem', 'bad'), ' ', p.cluster + ' ',
        el('code', {text: p.key}), ': ' + p.reason));
    }
    for (const n of s.notices || []) {
      notices.append(el('li', {}, badge('notice', 'warn'), ' ', timeEl(n.at), ' ',
        (n.cluster ? n.cluster + ': ' : '') + n.message));
    }

    // The cluster filter offers the clusters the status names, keeping the choice.
    const select = $('f-cluster');
    const names = (s.clusters || []).map((c) => c.name);
    const have = Array.from(select.options).slice(1).map((o) => o.value);
    if (names.join('\n') !== have.join('\n')) {
      const chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      for (const n of names) select.append(el('option', {value: n, text: n}));
      if (chosen && !names.includes(chosen)) select.append(el('option', {value: chosen, text: chosen}));
      select.value = chosen;
    }
  }

  // ---------------------------------------------------------------- list

  function query() {
    const params = new URLSearchParams();
    for (const [name, id] of [['state', 'f-state'], ['type', 'f-type'], ['cluster', 'f-cluster'], ['key', 'f-key']]) {
      const value = $(id).value.trim();
      if (value) params.set(name, value);
    }
    const q = params.toString();
    return q ? '?' + q : '';
  }

  async function refreshList() {
    const q = query();
    const list = await api('GET', '/api/v1/conflicts' + q);
    if (q !== query()) return; // the filters changed meanwhile: that answer is on its way
    const items = list.items || [];
    const json = JSON.stringify(items);
    const tbody = $('conflicts').tBodies[0];
    if (json !== state.listJson) {
      state.listJson = json;
      const focused = document.activeElement && document.activeElement.dataset
        ? document.activeElement.dataset.open : undefined;
      clear(tbody);
      for (const c of items) {
        const open = el('button', {type: 'button', class: 'link', 'data-open': c.id,
          'aria-label': 'Show conflict ' + c.id + ' on ' + c.key, text: c.id});
        tbody.append(el('tr', {'data-id': c.id, class: 'row'},
          el('td', {}, badge(c.state)),
          el('td', {}, open),
          el('td', {class: 'key'}, el('code', {text: c.key})),
          el('td', {class: 'type', text: c.type}),
          el('td', {class: 'clusters', text: (c.clusters || []).join(', ')}),
          el('td', {class: 'age num', 'data-since': c.detectedAt, title: c.detectedAt || ''})));
      }
      if (!items.length) {
        tbody.append(el('tr', {}, el('td', {colspan: 6, class: 'muted', text: 'No conflicts match.'})));
      }
      if (focused !== undefined) {
        // The focused row was re-rendered: focus its new button, or the heading when it is gone.
        const again = Array.from(tbody.querySelectorAll('button[data-open]')).find((b) => b.dataset.open === focused);
        (again || $('conflicts-title')).focus();
      }
    }
    for (const row of tbody.querySelectorAll('tr[data-id]')) {
      const selected = row.dataset.id === state.selected;
      row.classList.toggle('selected', selected);
      row.setAttribute('aria-selected', selected ? 'true' : 'false');
      const cell = row.querySelector('td.age');
      cell.textContent = age(cell.dataset.since);
    }
    $('conflicts-caption').textContent = items.length + (items.length === 1 ? ' conflict' : ' conflicts')
      + (q ? ' matching the filters' : '');
  }

  // ---------------------------------------------------------------- detail

  function escapePointer(key) {
    return key.replace(/~/g, '~0').replace(/\//g, '~1');
  }

  /** The object as indented JSON, each member at a differing path in a <mark>. */
  function renderJson(value, differing) {
    const pre = el('pre', {class: 'json'});
    const write = (parent, v, ptr, indent) => {
      if (Array.isArray(v)) {
        if (!v.length) {
          parent.append('[]');
          return;
        }
        parent.append('[\n');
        v.forEach((x, i) => member(parent, null, x, ptr + '/' + i, indent + '  ', i < v.length - 1));
        parent.append(indent + ']');
      } else if (v !== null && typeof v === 'object') {
        const keys = Object.keys(v);
        if (!keys.length) {
          parent.append('{}');
          return;
        }
        parent.append('{\n');
        keys.forEach((k, i) => member(parent, k, v[k], ptr + '/' + escapePointer(k), indent + '  ', i < keys.length - 1));
        parent.append(indent + '}');
      } else {
        parent.append(el('span', {class: 'j-' + (v === null ? 'null' : typeof v), text: JSON.stringify(v)}));
      }
    };
    const member = (parent, key, v, ptr, indent, comma) => {
      const line = differing.has(ptr)
        ? el('mark', {class: 'differs', 'data-path': ptr, title: 'differs between the clusters: ' + ptr})
        : el('span', {'data-path': ptr});
      line.append(indent);
      if (key !== null) line.append(el('span', {class: 'j-key', text: JSON.stringify(key)}), ': ');
      write(line, v, ptr, indent);
      parent.append(line, comma ? ',\n' : '\n');
    };
    if (differing.has('')) {
      const all = el('mark', {class: 'differs', 'data-path': '', title: 'the whole value differs'});
      write(all, value, '', '');
      pre.append(all);
    } else {
      write(pre, value, '', '');
    }
    return pre;
  }

  /** A side's value: the decoded object, or its text, or what it is when there is none. */
  function decode(side) {
    if (side.tombstone) return {kind: 'deleted'};
    if (side.value === null || side.value === undefined) return {kind: 'none'};
    if (side.valueEncoding === 'base64') return {kind: 'binary', text: side.value};
    try {
      const object = JSON.parse(side.value);
      if (object !== null && typeof object === 'object') return {kind: 'object', object};
    } catch (e) {
      // not JSON: shown as text
    }
    return {kind: 'text', text: side.value};
  }

  function renderValue(v) {
    if (v === null || v === undefined) return el('span', {class: 'muted', text: 'absent'});
    return el('code', {class: 'value', text: JSON.stringify(v)});
  }

  function renderDetail(r) {
    state.detail = r;
    $('detail').hidden = false;
    $('detail-id').textContent = r.id;
    const res = r.resolution;
    dl($('detail-meta'), [
      ['Key', el('code', {class: 'wrap', text: r.key})],
      ['Type', r.type],
      ['State', badge(r.state)],
      ['Clusters', (r.clusters || []).join(', ')],
      ['Detected', timeEl(r.detectedAt)],
      ['Updated', timeEl(r.updatedAt)],
      ['Resolution', res ? el('span', {},
        (res.how === 'delete' ? 'deleted everywhere' : res.how === 'value' ? 'an operator\'s value'
          : (res.winner ? res.winner + ' wins' : '')) + ' — by ' + res.by + ', ', timeEl(res.at),
        res.reason ? ' (' + res.reason + ')' : '') : null],
    ]);

    const sides = r.sides || [];
    const diff = r.diff || [];
    const head = clear($('diff').tHead.rows[0]);
    head.append(el('th', {scope: 'col', text: 'Field (JSON pointer)'}));
    for (const s of sides) head.append(el('th', {scope: 'col', text: s.cluster}));
    const body = clear($('diff').tBodies[0]);
    for (const d of diff) {
      const row = el('tr', {'data-path': d.path}, el('th', {scope: 'row'}, el('code', {text: d.path === '' ? '(whole value)' : d.path})));
      for (const s of sides) row.append(el('td', {}, renderValue(d.values ? d.values[s.cluster] : null)));
      body.append(row);
    }
    if (!diff.length) {
      body.append(el('tr', {}, el('td', {colspan: sides.length + 1, class: 'muted',
        text: 'No field differs (the sides differ in existence or metadata only).'})));
    }

    const differing = new Set(diff.map((d) => d.path).concat(r.differingPaths || []));
    const box = clear($('sides'));
    for (const s of sides) {
      const value = decode(s);
      const vector = Object.entries(s.vector || {}).map(([c, n]) => c + ': ' + n).join(', ');
      const facts = el('dl', {class: 'summary'});
      dl(facts, [
        ['Revision', String(s.revision)],
        ['Vector', vector || null],
        ['Written', s.writeTime ? el('span', {}, timeEl(s.writeTime), ' (' + s.writeTimeSource + ')')
          : el('span', {class: 'muted', text: 'unknown (' + s.writeTimeSource + ')'})],
      ]);
      let shown;
      if (value.kind === 'object') shown = renderJson(value.object, differing);
      else if (value.kind === 'deleted') shown = el('p', {class: 'deleted'}, badge('deleted', 'bad'), ' a tombstone: the key was deleted on ' + s.cluster);
      else if (value.kind === 'none') shown = el('p', {class: 'muted', text: 'no value'});
      else if (value.kind === 'binary') shown = el('div', {}, el('p', {class: 'muted', text: 'not UTF-8: the bytes in base64'}), el('pre', {class: 'json', text: value.text}));
      else shown = el('pre', {class: 'json' + (differing.has('') ? ' differs' : ''), text: value.text});
      box.append(el('article', {class: 'side', 'data-cluster': s.cluster, 'aria-label': 'version on ' + s.cluster},
        el('h4', {}, s.cluster, res && res.winner === s.cluster ? el('span', {}, ' ', badge('kept', 'good')) : null),
        facts, shown));
    }
    // Each version scrolled to its first differing field (the objects are long, the difference is short).
    for (const pre of box.querySelectorAll('pre.json')) {
      const mark = pre.querySelector('mark.differs');
      if (mark) pre.scrollTop = Math.max(0, mark.offsetTop - pre.clientHeight / 3);
    }

    const open = r.state === 'open';
    $('resolve').hidden = !open;
    const buttons = clear($('resolve-buttons'));
    if (open) {
      for (const s of sides) {
        buttons.append(el('button', {type: 'button', 'data-winner': s.cluster,
          text: 'Keep ' + s.cluster + (s.tombstone ? ' (deleted)' : ''),
          onclick: () => ask({winner: s.cluster}, 'Keep ' + s.cluster + '\'s version in every cluster of conflict ' + r.id + '?')}));
      }
      buttons.append(el('button', {type: 'button', id: 'resolve-delete', class: 'danger', text: 'Delete everywhere',
        onclick: () => ask({delete: true}, 'Delete ' + r.key + ' in every cluster?')}));
    } else {
      cancelConfirm();
    }
  }

  function prefill(r) {
    const first = (r.sides || []).map(decode).find((v) => v.kind === 'object');
    $('custom-value').value = first ? JSON.stringify(first.object, null, 2) : '';
  }

  async function refreshDetail() {
    if (state.selected === null) return;
    const id = state.selected;
    let r;
    try {
      r = await api('GET', '/api/v1/conflicts/' + encodeURIComponent(id));
    } catch (e) {
      if (e.status === 404 && id === state.selected) {
        show($('resolve-error'), e.message);
        return;
      }
      throw e;
    }
    if (id !== state.selected) return;
    const json = JSON.stringify(r);
    if (json !== state.detailJson) {
      state.detailJson = json;
      renderDetail(r);
    }
  }

  async function select(id) {
    if (id !== state.selected) {
      state.selected = id;
      state.detailJson = null;
      cancelConfirm();
      show($('resolve-error'), '');
      show($('resolve-result'), '');
    }
    for (const row of $('conflicts').tBodies[0].querySelectorAll('tr[data-id]')) {
      row.classList.toggle('selected', row.dataset.id === id);
      row.setAttribute('aria-selected', row.dataset.id === id ? 'true' : 'false');
    }
    try {
      await refreshDetail();
      if (state.detail && state.detail.id === id) prefill(state.detail);
      $('detail-title').focus();
    } catch (e) {
      show($('resolve-error'), e.message);
    }
  }

  // ---------------------------------------------------------------- resolving

  function ask(body, text) {
    state.pending = {body, text};
    $('confirm-text').textContent = text;
    $('confirm').hidden = false;
    show($('resolve-error'), '');
    $('confirm-yes').focus();
  }

  function cancelConfirm() {
    state.pending = null;
    $('confirm').hidden = true;
  }

  async function resolvePending() {
    if (!state.pending || state.busy || !state.detail) return;
    const {body} = state.pending;
    const id = state.detail.id;
    state.busy = true;
    $('confirm-yes').disabled = true;
    show($('resolve-error'), '');
    show($('resolve-result'), 'Resolving ' + id + '…');
    try {
      const r = await change('POST', '/api/v1/conflicts/' + encodeURIComponent(id) + '/resolve', body);
      cancelConfirm();
      if (state.selected === id) {
        state.detailJson = JSON.stringify(r);
        renderDetail(r);
      }
      const res = r.resolution || {};
      show($('resolve-result'), 'Conflict ' + id + ' resolved: ' + (res.how === 'delete' ? 'deleted everywhere'
        : res.how === 'value' ? 'your value written everywhere' : res.winner + ' wins') + '.');
      refreshList().catch((e) => show($('error'), e.message));
    } catch (e) {
      show($('resolve-result'), '');
      show($('resolve-error'), 'Not resolved: ' + e.message);
    } finally {
      state.busy = false;
      $('confirm-yes').disabled = false;
    }
  }

  function askCustomValue() {
    let value;
    try {
      value = JSON.parse($('custom-value').value);
    } catch (e) {
      show($('resolve-error'), 'The custom value is not JSON: ' + e.message);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      show($('resolve-error'), 'The custom value must be a JSON object (the whole Kubernetes object).');
      return;
    }
    ask({value}, 'Write this value to every cluster of conflict ' + state.detail.id + '?');
  }

  // ---------------------------------------------------------------- refresh loop

  async function refresh() {
    clearTimeout(state.timer);
    const results = await Promise.allSettled([refreshStatus(), refreshList(), refreshDetail()]);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    show($('error'), failed.length ? Array.from(new Set(failed)).join('\n') : '');
    $('refreshed').textContent = 'updated ' + new Date().toLocaleTimeString() + ', every ' + REFRESH_MS / 1000 + ' s';
    clearTimeout(state.timer);
    state.timer = setTimeout(refresh, REFRESH_MS);
  }

  function init() {
    const filters = $('filters');
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      refresh();
    });
    let typing = null;
    for (const id of ['f-state', 'f-type', 'f-cluster']) $(id).addEventListener('change', () => refresh());
    $('f-key').addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(refresh, 300);
    });
    $('conflicts').tBodies[0].addEventListener('click', (ev) => {
      const row = ev.target.closest('tr[data-id]');
      if (row) select(row.dataset.id);
    });
    $('confirm-yes').addEventListener('click', resolvePending);
    $('confirm-no').addEventListener('click', cancelConfirm);
    $('resolve-value').addEventListener('click', askCustomValue);
    refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
