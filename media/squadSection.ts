// The squad list: Jake ("The Proprietor") first, then every agent of the project with a
// state dot, worker, description and badges. Arrow keys move between rows; Enter opens one.
import type { AgentRow, HostMessage, WebviewMessage } from '../protocol/webview';
import { el, formatCost, icon } from './dom';

type Post = (message: WebviewMessage) => void;

function badges(agent: AgentRow): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (agent.pendingApprovals > 0)
    out.push(
      el(
        'span',
        'badge needs-approval',
        `needs approval${agent.pendingApprovals > 1 ? ` (${agent.pendingApprovals})` : ''}`,
      ),
    );
  else if (
    agent.state === 'waiting' &&
    (agent.stateReason === 'input' || agent.stateReason === 'blocked') &&
    !agent.isJake
  )
    out.push(
      el(
        'span',
        `badge ${agent.stateReason}`,
        agent.stateReason === 'input' ? 'needs input' : 'blocked',
      ),
    );
  if (agent.state === 'done') out.push(el('span', 'badge done', 'done'));
  if (agent.state === 'failed') out.push(el('span', 'badge failed', 'failed'));
  if (agent.state === 'lost') out.push(el('span', 'badge lost', 'lost'));
  return out;
}

function stateLabel(agent: AgentRow): string {
  return agent.state === 'waiting' && agent.stateReason
    ? `waiting (${agent.stateReason})`
    : agent.state;
}

function agentRow(agent: AgentRow, selected: boolean, onOpen: (id: string) => void): HTMLElement {
  const row = el('li', `agent state-${agent.state}${selected ? ' selected' : ''}`);
  row.tabIndex = 0;
  row.dataset.agentId = agent.id;
  row.setAttribute('role', 'option');
  row.setAttribute('aria-selected', String(selected));
  row.setAttribute(
    'aria-label',
    `${agent.name}, ${stateLabel(agent)}${agent.pendingApprovals ? ', needs approval' : ''}`,
  );
  const head = el('div', 'agent-head');
  head.append(el('span', 'dot'), el('span', 'name', agent.name));
  if (agent.isJake) head.append(el('span', 'role', 'The Proprietor'));
  head.append(...badges(agent));
  const meta = el('div', 'details');
  meta.append(
    el('span', undefined, stateLabel(agent)),
    el('span', undefined, agent.workerName),
    el('span', undefined, agent.engine),
  );
  if (agent.costUsd > 0) meta.append(el('span', undefined, formatCost(agent.costUsd)));
  row.append(head, meta);
  if (agent.description) row.append(el('div', 'description', agent.description));
  const open = (): void => onOpen(agent.id);
  row.addEventListener('click', open);
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const sibling =
        event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (sibling instanceof HTMLElement) sibling.focus();
    }
  });
  return row;
}

interface Rendered {
  header: HTMLElement;
  headerKey: string;
  list: HTMLElement;
  rows: Map<string, { key: string; row: HTMLElement }>;
  onOpen: (agentId: string) => void;
}
const rendered = new WeakMap<HTMLElement, Rendered>();

/**
 * Renders the squad into `target`, keyed by agent: only rows whose agent changed are rebuilt
 * and unchanged rows stay where they are. With hundreds of agents an update stays cheap, and a
 * keyboard user's focus stays on the row they are on while others change state.
 */
export function renderSquad(
  target: HTMLElement,
  message: Extract<HostMessage, { type: 'squad' }>,
  selectedId: string | undefined,
  post: Post,
  onOpen: (agentId: string) => void,
): void {
  let state = rendered.get(target);
  if (!state) {
    const list = el('ul', 'agent-list');
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Jake and the squad');
    state = { header: el('div', 'squad-header'), headerKey: '', list, rows: new Map(), onOpen };
    rendered.set(target, state);
    target.replaceChildren(state.header, list);
  }
  const current = state;
  current.onOpen = onOpen;
  const headerKey = JSON.stringify([message.folders, message.folder, message.note]);
  if (headerKey !== current.headerKey) {
    current.headerKey = headerKey;
    current.header.replaceChildren(...header(message, post));
  }

  const rows = new Map<string, { key: string; row: HTMLElement }>();
  const wanted = message.agents.map((agent) => {
    const selected = agent.id === selectedId;
    const key = `${selected ? 1 : 0}${JSON.stringify(agent)}`;
    const old = current.rows.get(agent.id);
    let entry = old;
    if (!old || old.key !== key) {
      entry = { key, row: agentRow(agent, selected, (id) => current.onOpen(id)) };
      if (old) {
        const hadFocus = document.activeElement === old.row;
        old.row.replaceWith(entry.row);
        if (hadFocus) entry.row.focus();
      }
    }
    rows.set(agent.id, entry!);
    return entry!.row;
  });
  current.rows = rows;
  // Put rows in order, moving only what is out of place; drop rows of agents now gone.
  const list = current.list;
  wanted.forEach((row, i) => {
    const at = list.children[i];
    if (at !== row) list.insertBefore(row, at ?? null);
  });
  while (list.children.length > wanted.length) list.lastElementChild!.remove();
}

function header(message: Extract<HostMessage, { type: 'squad' }>, post: Post): HTMLElement[] {
  const nodes: HTMLElement[] = [];
  if (message.folders.length > 1) {
    const label = el('label', 'folder-picker');
    const select = el('select');
    select.setAttribute('aria-label', 'Project folder');
    for (const f of message.folders) {
      const option = el('option', undefined, f.name);
      option.value = f.id;
      option.selected = f.id === message.folder;
      select.append(option);
    }
    select.addEventListener('change', () => post({ type: 'selectFolder', folder: select.value }));
    label.append(icon('root-folder'), select);
    nodes.push(label);
  }
  if (message.note) nodes.push(el('p', 'empty', message.note));
  return nodes;
}
