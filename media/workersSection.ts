// The Workers section: connection, RTT, load, platform and engines of every worker, with
// Attach / Detach / Restart; a fleet's workers are listed under their fleet, whose own state
// (watching, no Ready pods, forbidden...) shows even when it has no workers. Worker names,
// fleet messages and errors come from remote machines and clusters: text only.
import type { HostMessage, WebviewMessage, WorkerGroupRow, WorkerRow } from '../protocol/webview';
import { el, iconButton } from './dom';

type Post = (message: WebviewMessage) => void;
type WorkersMessage = Extract<HostMessage, { type: 'workers' }>;

function statusText(w: WorkerRow): string {
  if (w.status === 'connected')
    return `${w.draining ? 'draining' : 'connected'}${w.rttMs !== undefined ? ` · ${w.rttMs} ms` : ''}`;
  return w.error ? `${w.status}: ${w.error}` : w.status;
}

function workerRow(w: WorkerRow, post: Post): HTMLElement {
  const row = el('li', `worker status-${w.status}${w.draining ? ' draining' : ''}`);
  row.tabIndex = 0;
  row.setAttribute('aria-label', `Worker ${w.name}, ${statusText(w)}`);
  const head = el('div', 'worker-head');
  head.append(
    el('span', 'dot'),
    el('span', 'name', w.name),
    el('span', 'badge', w.isLocal ? 'local' : w.group !== undefined ? 'pod' : 'remote'),
  );
  const details = el('div', 'details');
  details.append(el('span', undefined, statusText(w)));
  details.append(
    el('span', undefined, `agents ${w.agents}${w.maxAgents ? ` / ${w.maxAgents}` : ''}`),
  );
  if (w.platform) details.append(el('span', undefined, w.platform));
  const engines = el('div', 'engines');
  for (const e of w.engines) {
    const tag = el('span', `engine ${e.available ? 'ok' : 'missing'}`, e.name);
    if (e.reason) tag.title = e.reason;
    engines.append(tag);
  }
  const url = el('div', 'url', w.url);
  row.append(head, details, engines, url);
  if (w.warning) {
    const warning = el('div', 'warning', w.warning);
    warning.setAttribute('role', 'status');
    row.append(warning);
  }
  // A fleet's workers come and go with their pods: the fleet setting owns them, not Detach.
  if (w.group === undefined) {
    const actions = el('div', 'row-actions');
    actions.append(
      w.isLocal
        ? iconButton(
            'debug-restart',
            'Restart the local worker',
            () => post({ type: 'restartLocalWorker' }),
            'Restart',
          )
        : iconButton(
            'debug-disconnect',
            `Detach ${w.name}`,
            () => post({ type: 'detachWorker', workerId: w.id }),
            'Detach',
          ),
    );
    row.append(actions);
  }
  return row;
}

function groupItem(group: WorkerGroupRow, members: WorkerRow[], post: Post): HTMLElement {
  const item = el('li', `worker-group state-${group.state}`);
  const up = members.filter((w) => w.status === 'connected').length;
  const head = el('div', 'worker-group-head');
  head.append(
    el('span', 'dot'),
    el('span', 'name', group.name),
    el('span', 'badge', group.kind),
    el('span', 'count', `${up}/${members.length} connected`),
  );
  item.setAttribute('aria-label', `Fleet ${group.name}, ${up} of ${members.length} connected`);
  item.append(head);
  if (group.message) item.append(el('div', `group-message ${group.state}`, group.message));
  const list = el('ul', 'worker-list');
  for (const w of members) list.append(workerRow(w, post));
  item.append(list);
  return item;
}

export function renderWorkers(target: HTMLElement, message: WorkersMessage, post: Post): void {
  const groups = message.groups ?? [];
  const known = new Set(groups.map((g) => g.id));
  const list = el('ul', 'worker-list');
  for (const w of message.workers)
    if (w.group === undefined || !known.has(w.group)) list.append(workerRow(w, post));
  for (const g of groups)
    list.append(
      groupItem(
        g,
        message.workers.filter((w) => w.group === g.id),
        post,
      ),
    );
  const nodes: HTMLElement[] = [];
  if (message.workers.length === 0 && groups.length === 0)
    nodes.push(
      el(
        'p',
        'empty',
        message.localWorkerEnabled
          ? 'Starting the local worker…'
          : 'No workers. Attach one by URL, or enable tavern.localWorker.enabled.',
      ),
    );
  nodes.push(list);
  target.replaceChildren(...nodes);
}
