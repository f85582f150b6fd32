/**
 * The status page's script (bundled by esbuild into dist/ui/app.js and inlined by the `ui` function). It reads the
 * function key from the URL fragment (`#code=...`, never sent to the server) or from this tab's sessionStorage, calls
 * the API with it in `x-functions-key`, and redraws the four regions every few seconds. Only real changes are
 * announced (aria-live), so a screen reader is not interrupted by every refresh.
 */
import * as z from 'zod';
import {
  ApiErrorBodySchema,
  MeshViewSchema,
  OperationListSchema,
  OperationSchema,
  TopologySchema,
  PlanResponseSchema,
  type MeshView,
  type Operation,
  type Topology,
} from '../../cli/schemas.js';
import { userLabels } from '../../cli/labels.js';
import {
  endpointBars,
  layoutMesh,
  look,
  NODE_RADIUS,
  planProvenance,
  planView,
  summary,
  timeline,
  type MeshLayout,
  type PlanProvenance,
  type PlanView,
  type StateLook,
} from './model.js';

const KEY_STORAGE = 'fleetmesh.functionKey';
const SVG_NS = 'http://www.w3.org/2000/svg';
const root = document.documentElement;
const REFRESH_MS = Math.max(1000, Number(root.dataset.refreshMs ?? '5000') || 5000);
const TOPOLOGY_MAX_AGE_MS = 60_000;
const API = location.pathname.replace(/\/ui\/?$/, '');

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function s(
  tag: string,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: Child[]
): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function setAttrs(el: Element, attrs: Readonly<Record<string, string | number | boolean | undefined>>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : String(value));
  }
}

function byId(id: string): HTMLElement {
  return typed(id, HTMLElement);
}

function typed<T extends HTMLElement>(id: string, type: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no #${id} of the expected kind`);
  return el;
}

function badge(state: StateLook): HTMLElement {
  return h(
    'span',
    { className: `badge tone-${state.tone}` },
    h('span', { 'aria-hidden': 'true' }, state.glyph),
    ` ${state.label}`,
  );
}

function scrollRegion(label: string, content: Node): HTMLElement {
  // Focusable so keyboard users can scroll a wide table; labelled so the region is announced.
  return h(
    'div',
    { className: 'scroll', tabindex: 0, role: 'region', 'aria-label': label, 'data-focus-key': label },
    content,
  );
}

function timelineRegion(list: Node): HTMLElement {
  const region = scrollRegion('Recent operations timeline', list);
  region.classList.add('timeline-region');
  return region;
}

function time(iso: string): HTMLElement {
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

/** Replaces a region's content only when what it shows changed, so focus and scroll positions survive refreshes. */
const shown = new Map<string, string>();
function fill(id: string, fingerprint: unknown, build: () => Child[]): void {
  const key = JSON.stringify(fingerprint);
  if (shown.get(id) === key) return;
  shown.set(id, key);
  const container = byId(id);
  const focusedId =
    document.activeElement instanceof HTMLElement && container.contains(document.activeElement)
      ? document.activeElement.dataset.focusKey
      : undefined;
  container.replaceChildren(...build().filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  if (focusedId) container.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusedId)}"]`)?.focus();
}

// ---------------------------------------------------------------------------------------------------------------
// API

function readKey(): string | undefined {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('code');
  const fromQuery = new URLSearchParams(location.search).get('code');
  const key = fromHash ?? fromQuery ?? undefined;
  if (key) {
    sessionStorage.setItem(KEY_STORAGE, key);
    // Take the key out of the address bar (and so out of history and of anything copied from it).
    const url = new URL(location.href);
    url.hash = '';
    url.searchParams.delete('code');
    history.replaceState(null, '', url);
    return key;
  }
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

let key = readKey();

async function api<S extends z.ZodType>(method: string, route: string, schema: S): Promise<z.output<S>> {
  const response = await fetch(`${API}${route}`, {
    method,
    headers: { accept: 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
    cache: 'no-store',
  });
  const text = await response.text();
  const json = parseJson(text);
  if (!response.ok) {
    const body = ApiErrorBodySchema.safeParse(json);
    throw new HttpProblem(
      response.status,
      body.success ? body.data.error.message : `${method} ${route} answered ${response.status} ${response.statusText}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(`unexpected answer from ${method} ${route}: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Regions

function renderMesh(view: MeshView, topology: Topology | undefined, topologyNote: string | undefined): void {
  const layout = layoutMesh(view.members, topology);
  fill(
    'mesh-body',
    { members: view.members, topology: topology?.vnets, peerings: topology?.peerings, topologyNote },
    () => [
      h('p', { className: 'lead' }, summary(view)),
      meshPicture(layout),
      legend(),
      topologyNote ? h('p', { className: 'note' }, topologyNote) : null,
      scrollRegion('Members table', membersTable(view, topology)),
    ],
  );
}

function meshPicture(layout: MeshLayout): Node {
  const pad = 16;
  const svg = s(
    'svg',
    {
      viewBox: `${-pad} ${-pad} ${layout.width + pad * 2} ${layout.height + pad * 2}`,
      // Drawn at its natural size (shrunk on narrow screens by CSS max-width), so text keeps its size.
      width: layout.width + pad * 2,
      role: 'img',
      'aria-labelledby': 'mesh-svg-title mesh-svg-desc',
      className: 'mesh',
      preserveAspectRatio: 'xMidYMin meet',
    },
    s('title', { id: 'mesh-svg-title' }, 'Mesh members by virtual network'),
    s('desc', { id: 'mesh-svg-desc' }, layout.description),
  );
  for (const l of layout.links) {
    svg.append(
      s(
        'g',
        { className: `link ${l.peered ? 'peered' : 'unpeered'}` },
        s('title', {}, `${l.from} and ${l.to}: ${l.label}${l.problems.length ? ` (${l.problems.join('; ')})` : ''}`),
        s('line', { x1: l.x1, y1: l.y1, x2: l.x2, y2: l.y2 }),
        s(
          'text',
          { x: (l.x1 + l.x2) / 2, y: (l.y1 + l.y2) / 2 - 8, 'text-anchor': 'middle', className: 'link-label' },
          `${l.peered ? '⇄' : '⨯'} ${l.label}`,
        ),
      ),
    );
  }
  for (const g of layout.groups) {
    const group = s(
      'g',
      { className: 'vnet' },
      s('rect', { x: g.x, y: g.y, width: g.width, height: g.height, rx: 12 }),
      s('text', { x: g.x + 14, y: g.y + 22, className: 'vnet-title' }, g.title),
      s('text', { x: g.x + 14, y: g.y + 38, className: 'vnet-sub' }, g.subtitle),
    );
    for (const n of g.nodes) {
      group.append(
        s(
          'g',
          { className: `member tone-${n.look.tone}` },
          s(
            'title',
            {},
            `${n.member.name}: ${n.look.label}${n.member.ciliumId === null ? '' : `, Cilium id ${n.member.ciliumId}`}`,
          ),
          s('circle', { cx: n.x, cy: n.y, r: NODE_RADIUS }),
          s('text', { x: n.x, y: n.y - 4, 'text-anchor': 'middle', className: 'glyph' }, n.look.glyph),
          s(
            'text',
            { x: n.x, y: n.y + 14, 'text-anchor': 'middle', className: 'cilium' },
            n.member.ciliumId === null ? '—' : `id ${n.member.ciliumId}`,
          ),
          s('text', { x: n.x, y: n.y + NODE_RADIUS + 16, 'text-anchor': 'middle', className: 'name' }, n.member.name),
          s('text', { x: n.x, y: n.y + NODE_RADIUS + 31, 'text-anchor': 'middle', className: 'state' }, n.look.label),
        ),
      );
    }
    svg.append(group);
  }
  return h('figure', { className: 'picture' }, svg);
}

function legend(): Node {
  const items: [string, StateLook][] = [
    ['Connected', look('Connected')],
    ['Connecting or disconnecting', look('Connecting')],
    ['Failed', look('Failed')],
    ['Not in the mesh', look(null)],
  ];
  return h(
    'ul',
    { className: 'legend', 'aria-label': 'Legend' },
    ...items.map(([text, l]) =>
      h('li', {}, h('span', { className: `swatch tone-${l.tone}`, 'aria-hidden': 'true' }, l.glyph), ` ${text}`),
    ),
    h('li', {}, h('span', { className: 'line-swatch peered', 'aria-hidden': 'true' }), ' VNets peered'),
    h('li', {}, h('span', { className: 'line-swatch unpeered', 'aria-hidden': 'true' }), ' VNets not peered'),
  );
}

function membersTable(view: MeshView, topology: Topology | undefined): Node {
  const vnetName = new Map((topology?.vnets ?? []).map((v) => [v.id.toLowerCase(), v.name]));
  const vnetsOf = new Map(
    (topology?.members ?? []).map((m) => [m.name, m.vnetIds.map((id) => vnetName.get(id.toLowerCase()) ?? id)]),
  );
  return h(
    'table',
    {},
    h('caption', {}, 'Members'),
    h(
      'thead',
      {},
      h('tr', {}, ...['Member', 'Mesh state', 'Cilium id', 'VNet', 'Labels'].map((c) => h('th', { scope: 'col' }, c))),
    ),
    h(
      'tbody',
      {},
      ...view.members.map((m) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, m.name),
          h(
            'td',
            {},
            badge(look(m.meshState, m.otherProfile ? 'in another mesh' : 'not in mesh')),
            m.error ? h('div', { className: 'note' }, `${m.error.code}: ${m.error.message}`) : null,
          ),
          h('td', {}, m.ciliumId === null ? '—' : String(m.ciliumId)),
          h('td', {}, (vnetsOf.get(m.name) ?? ['unknown']).join(', ')),
          h('td', {}, userLabels(m.labels).replaceAll(',', ', ')),
        ),
      ),
    ),
  );
}

function renderPlan(plan: PlanView | undefined, provenance: PlanProvenance | undefined): void {
  fill('plan-body', { plan, provenance }, () => {
    if (!plan) return [h('p', {}, 'No plan has been computed for this mesh yet.')];
    const { Add, Remove, None, Error: errors } = plan.counts;
    return [
      h('p', { className: 'lead' }, `${Add} to add, ${Remove} to remove, ${None} unchanged, ${errors} in error.`),
      provenance
        ? h(
            'p',
            { className: 'provenance' },
            provenance.source === 'fresh' ? 'Computed on request on this page' : "The reconciler's last plan, computed",
            ' at ',
            time(provenance.computedAt),
            ` (${provenance.age}). `,
            h('strong', {}, provenance.sentence),
          )
        : null,
      provenance?.warning ? h('p', { className: 'note stale', role: 'note' }, provenance.warning) : null,
      scrollRegion(
        'Plan table',
        h(
          'table',
          { className: 'diff' },
          h(
            'caption',
            {},
            `Plan ${plan.planId.slice(0, 12)}…`,
            provenance?.operationId ? ` of operation ${provenance.operationId}` : '',
            provenance ? ` (${provenance.applied})` : '',
          ),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Action', 'Member', 'Mesh membership state', 'Cluster'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            ...plan.rows.map((r) =>
              h(
                'tr',
                { className: `row-${r.action.toLowerCase()}` },
                h('td', {}, h('span', { className: 'marker', 'aria-hidden': 'true' }, r.marker), ` ${r.action}`),
                h('th', { scope: 'row' }, r.name, r.note ? h('div', { className: 'note' }, r.note) : null),
                h('td', {}, r.meshState),
                h('td', { className: 'mono' }, r.clusterResourceId),
              ),
            ),
          ),
        ),
      ),
      plan.findings.length === 0
        ? h('p', {}, 'Preflight: no findings.')
        : h(
            'ul',
            { className: 'findings', 'aria-label': 'Preflight findings' },
            ...plan.findings.map((f) =>
              h(
                'li',
                {},
                badge(look(f.severity === 'error' ? 'Error' : 'Warning')),
                ` ${f.checkId}${f.member ? ` (${f.member}${f.peerMember ? ` ↔ ${f.peerMember}` : ''})` : ''}: ${f.message}`,
                h(
                  'div',
                  { className: 'note' },
                  `Remediation: ${f.remediation}${f.fixableByFleetmesh ? ' (fleetmesh does this during the apply)' : ''}`,
                ),
              ),
            ),
          ),
    ];
  });
}

function renderTraffic(view: MeshView): void {
  const tm = view.trafficManager;
  fill('traffic-body', tm, () => {
    if (!tm)
      return [
        h(
          'p',
          {},
          'fleetmesh manages no Traffic Manager endpoints for this mesh (its policy has no traffic section), or has not synced them yet.',
        ),
      ];
    const bars = endpointBars(tm.endpoints);
    return [
      h('p', { className: 'lead' }, tm.fqdn ? `DNS name ${tm.fqdn}. ` : '', `${tm.endpoints.length} endpoint(s).`),
      tm.notRouted.length > 0
        ? h(
            'p',
            { className: 'note' },
            `${tm.notRouted.length} member(s) have no endpoint (${[...new Set(tm.notRouted.map((n) => n.reason))].join('; ')}): `,
            tm.notRouted.map((n) => n.member).join(', '),
          )
        : null,
      scrollRegion(
        'Traffic Manager endpoints table',
        h(
          'table',
          {},
          h('caption', {}, 'Endpoints and their weights'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Member', 'Weight', 'Status', 'Monitor', 'Endpoint'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            ...bars.map((b) => {
              const bar = h('span', { className: 'bar-fill' });
              bar.style.width = `${b.barPercent}%`;
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, b.endpoint.member ?? '—'),
                h(
                  'td',
                  { className: 'weight' },
                  h('span', { className: 'bar', 'aria-hidden': 'true' }, bar),
                  ` ${b.endpoint.weight}`,
                  h('span', { className: 'note' }, ` (${b.sharePercent}% of traffic)`),
                ),
                h('td', {}, badge(b.status)),
                h('td', {}, badge(b.monitor)),
                h('td', { className: 'mono note' }, b.endpoint.name),
              );
            }),
          ),
        ),
      ),
    ];
  });
}

function renderOperations(operations: readonly Operation[], note: string | undefined): void {
  const entries = timeline(operations);
  fill('operations-body', { entries, note }, () => [
    note ? h('p', { className: 'note' }, note) : null,
    entries.length === 0
      ? h('p', {}, 'No operations yet.')
      : timelineRegion(
          h(
            'ol',
            { className: 'timeline' },
            ...entries.map((e) =>
              h(
                'li',
                { className: `tone-${e.status.tone}` },
                h('div', { className: 'when' }, time(e.when)),
                h(
                  'div',
                  { className: 'what' },
                  h('strong', {}, e.title),
                  ' ',
                  badge(e.status),
                  h('div', { className: 'mono note' }, e.id),
                  e.lines.length > 0 ? h('ul', {}, ...e.lines.map((l) => h('li', {}, l))) : null,
                ),
              ),
            ),
          ),
        ),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Refresh loop

let profile = new URLSearchParams(location.search).get('profile') ?? undefined;
let paused = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let topology: { value: Topology | undefined; at: number; members: string; note: string | undefined } | undefined;
let freshPlan: PlanView | undefined;
let lastOperations: readonly Operation[] = [];
let previous: { states: Map<string, string>; lastOperation: string | undefined } | undefined;

function announce(text: string): void {
  byId('announce').textContent = text;
}

function showAlert(text: string | undefined): void {
  const alert = byId('alert');
  alert.hidden = text === undefined;
  alert.textContent = text ?? '';
}

async function chooseProfile(): Promise<string | undefined> {
  const list = await api(
    'GET',
    '/meshes',
    z.looseObject({ value: z.array(z.looseObject({ profile: z.string(), exists: z.boolean() })) }),
  );
  const select = typed('profile', HTMLSelectElement);
  const names = list.value.map((m) => m.profile);
  const current = profile ?? list.value.find((m) => m.exists)?.profile ?? names[0];
  select.replaceChildren(...names.map((n) => h('option', { value: n, selected: n === current }, n)));
  select.disabled = names.length === 0;
  return current;
}

async function loadTopology(view: MeshView): Promise<void> {
  const members = view.members.map((m) => `${m.name}:${m.clusterResourceId ?? ''}`).join('|');
  if (topology && topology.members === members && Date.now() - topology.at < TOPOLOGY_MAX_AGE_MS) return;
  try {
    const value = await api('GET', `/meshes/${encodeURIComponent(view.profile)}/topology`, TopologySchema);
    topology = { value, at: Date.now(), members, note: undefined };
  } catch (e) {
    const note = `The VNets could not be read (${e instanceof Error ? e.message : String(e)}); members are shown without them.`;
    topology = { value: topology?.value, at: Date.now(), members, note };
  }
}

async function loadOperations(view: MeshView): Promise<{ operations: Operation[]; note: string | undefined }> {
  try {
    const list = await api(
      'GET',
      `/meshes/${encodeURIComponent(view.profile)}/operations?limit=10`,
      OperationListSchema,
    );
    return { operations: list.value, note: undefined };
  } catch (e) {
    if (view.lastOperationId === null) return { operations: [], note: undefined };
    // Fall back to the last operation alone.
    const op = await api('GET', `/operations/${encodeURIComponent(view.lastOperationId)}`, OperationSchema).catch(
      () => undefined,
    );
    return {
      operations: op ? [op] : [],
      note: `Only the last operation is shown (${e instanceof Error ? e.message : String(e)}).`,
    };
  }
}

async function refresh(): Promise<void> {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (!key) {
    showKeyForm('Enter the function key to read the fleetmesh API.');
    return;
  }
  try {
    profile = await chooseProfile();
    if (profile === undefined) {
      showAlert(undefined);
      byId('updated').textContent = 'This fleet has no cluster mesh profiles yet.';
    } else {
      const view = await api('GET', `/meshes/${encodeURIComponent(profile)}`, MeshViewSchema);
      await loadTopology(view);
      const ops = await loadOperations(view);
      lastOperations = ops.operations;
      byId('title-profile').textContent = view.profile;
      document.title = `fleetmesh · ${view.profile} · ${summary(view)}`;
      renderMesh(view, topology?.value, topology?.note);
      const plan = freshPlan ?? planView(view.lastPlan);
      renderPlan(
        plan,
        plan && planProvenance(plan, ops.operations, new Date(), freshPlan === undefined ? 'stored' : 'fresh'),
      );
      renderTraffic(view);
      renderOperations(ops.operations, ops.note);
      announceChanges(view, ops.operations);
      showAlert(undefined);
      byId('updated').textContent =
        `Updated ${new Date().toLocaleTimeString()}${paused ? ' · auto-refresh paused' : ` · refreshes every ${REFRESH_MS / 1000} s`}.`;
      root.dataset.state = 'ready';
    }
  } catch (e) {
    if (e instanceof HttpProblem && e.status === 401) {
      // Either the function key is wrong or, in Azure, the App Service sign-in has expired: say both.
      showKeyForm(
        'The API answered 401: the function key was refused, or your sign-in expired (in Azure, sign in again at ' +
          '/.auth/login/aad?post_login_redirect_uri=/api/ui). Enter the function key.',
      );
      return;
    }
    showAlert(`Could not refresh: ${e instanceof Error ? e.message : String(e)}. Retrying.`);
  }
  if (!paused) timer = setTimeout(() => void refresh(), REFRESH_MS);
}

function announceChanges(view: MeshView, operations: readonly Operation[]): void {
  const states = new Map(view.members.map((m) => [m.name, m.meshState ?? 'not in mesh']));
  const last = operations[0];
  const lastOperation = last ? `${last.id}:${last.status}` : undefined;
  if (previous) {
    const changes: string[] = [];
    for (const [name, state] of states) {
      const before = previous.states.get(name);
      if (before !== state) changes.push(`${name} is ${state}${before ? ` (was ${before})` : ''}.`);
    }
    if (last && lastOperation !== previous.lastOperation) changes.push(`Operation ${last.kind} ${last.status}.`);
    if (changes.length > 0) announce(changes.join(' '));
  } else {
    announce(`${summary(view)}.`);
  }
  previous = { states, lastOperation };
}

function showKeyForm(message: string): void {
  const form = byId('key-form');
  form.hidden = false;
  byId('key-message').textContent = message;
  byId('key-input').focus();
}

function setPaused(value: boolean): void {
  paused = value;
  const button = byId('pause');
  button.setAttribute('aria-pressed', String(paused));
  button.textContent = paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  if (paused && timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (!paused) void refresh();
}

function wire(): void {
  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = typed('key-input', HTMLInputElement);
    const value = input.value.trim();
    if (value === '') return;
    key = value;
    sessionStorage.setItem(KEY_STORAGE, value);
    input.value = '';
    byId('key-form').hidden = true;
    void refresh();
  });
  byId('pause').addEventListener('click', () => setPaused(!paused));
  byId('refresh').addEventListener('click', () => void refresh());
  byId('profile').addEventListener('change', (event) => {
    const select = event.currentTarget;
    if (!(select instanceof HTMLSelectElement)) return;
    profile = select.value;
    freshPlan = undefined;
    topology = undefined;
    previous = undefined;
    shown.clear();
    const url = new URL(location.href);
    url.searchParams.set('profile', profile);
    history.replaceState(null, '', url);
    void refresh();
  });
  byId('plan-now').addEventListener('click', () => {
    if (!profile) return;
    const button = typed('plan-now', HTMLButtonElement);
    button.disabled = true;
    announce('Computing a plan…');
    void api('POST', `/meshes/${encodeURIComponent(profile)}/plan`, PlanResponseSchema)
      .then((plan) => {
        freshPlan = planView({ planId: plan.planId, computedAt: plan.computedAt, plan });
        renderPlan(freshPlan, freshPlan && planProvenance(freshPlan, lastOperations, new Date(), 'fresh'));
        announce(`Plan computed: ${plan.summary.add} to add, ${plan.summary.remove} to remove.`);
      })
      .catch((e: unknown) => showAlert(`Could not compute a plan: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        button.disabled = false;
      });
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !paused) void refresh();
  });
}

wire();
void refresh();
