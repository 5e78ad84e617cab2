// The Tavern webview (this version: the Workers section). DOM is built with textContent and
// createElement only: worker names and errors come from remote machines and are untrusted.
import {
  parseHostMessage,
  type HostMessage,
  type WebviewMessage,
  type WorkerRow,
} from '../protocol/webview';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(
  label: string,
  icon: string,
  title: string,
  message: WebviewMessage,
): HTMLButtonElement {
  const b = el('button', 'action');
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.append(el('span', `codicon codicon-${icon}`), el('span', 'label', label));
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function statusText(w: WorkerRow): string {
  if (w.status === 'connected')
    return `connected${w.rttMs !== undefined ? ` · ${w.rttMs} ms` : ''}`;
  return w.error ? `${w.status}: ${w.error}` : w.status;
}

function workerRow(w: WorkerRow): HTMLElement {
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
  const actions = el('div', 'row-actions');
  if (w.isLocal)
    actions.append(
      button('Restart', 'debug-restart', 'Restart the local worker', {
        type: 'restartLocalWorker',
      }),
    );
  else
    actions.append(
      button('Detach', 'debug-disconnect', `Detach ${w.name}`, {
        type: 'detachWorker',
        workerId: w.id,
      }),
    );
  row.append(head, details, engines, url, actions);
  return row;
}

function render(message: Extract<HostMessage, { type: 'workers' }>): void {
  const section = el('section', 'workers');
  const header = el('header');
  header.append(
    el('h2', undefined, 'Workers'),
    button('Attach', 'plug', 'Attach a worker by URL', { type: 'attachWorker' }),
  );
  section.append(header);
  if (message.workers.length === 0) {
    section.append(
      el(
        'p',
        'empty',
        message.localWorkerEnabled
          ? 'Starting the local worker…'
          : 'No workers. Attach one by URL, or enable tavern.localWorker.enabled.',
      ),
    );
  }
  const list = el('ul', 'worker-list');
  for (const w of message.workers) list.append(workerRow(w));
  section.append(list);
  const note = el(
    'p',
    'note',
    'Jake, the squad and live transcripts arrive in a later version of this panel.',
  );
  root.replaceChildren(section, note);
  vscode.setState(message);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostMessage(event.data);
  if (!message) return;
  if (message.type === 'workers') render(message);
  else {
    const notice = el('p', `notice ${message.level}`, message.text);
    notice.setAttribute('role', message.level === 'error' ? 'alert' : 'status');
    root.prepend(notice);
  }
});

// Survive hide/show: paint the last state at once, then ask the host for fresh data.
const saved = parseHostMessage(vscode.getState());
if (saved?.type === 'workers') render(saved);
vscode.postMessage({ type: 'ready' });
