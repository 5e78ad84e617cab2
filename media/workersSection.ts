// The Workers section: connection, RTT, load, platform and engines of every worker, with
// Attach / Detach / Restart. Worker names and errors come from remote machines: text only.
import type { HostMessage, WebviewMessage, WorkerRow } from '../protocol/webview';
import { el, iconButton } from './dom';

type Post = (message: WebviewMessage) => void;

function statusText(w: WorkerRow): string {
  if (w.status === 'connected')
    return `connected${w.rttMs !== undefined ? ` · ${w.rttMs} ms` : ''}`;
  return w.error ? `${w.status}: ${w.error}` : w.status;
}

function workerRow(w: WorkerRow, post: Post): HTMLElement {
  const row = el('li', `worker status-${w.status}`);
  row.tabIndex = 0;
  row.setAttribute('aria-label', `Worker ${w.name}, ${statusText(w)}`);
  const head = el('div', 'worker-head');
  head.append(
    el('span', 'dot'),
    el('span', 'name', w.name),
    el('span', 'badge', w.isLocal ? 'local' : 'remote'),
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
  const warning = w.warning ? el('div', 'warning', w.warning) : undefined;
  if (warning) warning.setAttribute('role', 'status');
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
  row.append(head, details, engines, url, ...(warning ? [warning] : []), actions);
  return row;
}

export function renderWorkers(
  target: HTMLElement,
  message: Extract<HostMessage, { type: 'workers' }>,
  post: Post,
): void {
  const list = el('ul', 'worker-list');
  for (const w of message.workers) list.append(workerRow(w, post));
  const nodes: HTMLElement[] = [];
  if (message.workers.length === 0)
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
