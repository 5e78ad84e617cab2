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

export function renderSquad(
  target: HTMLElement,
  message: Extract<HostMessage, { type: 'squad' }>,
  selectedId: string | undefined,
  post: Post,
  onOpen: (agentId: string) => void,
): void {
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
  const list = el('ul', 'agent-list');
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Jake and the squad');
  for (const agent of message.agents) list.append(agentRow(agent, agent.id === selectedId, onOpen));
  nodes.push(list);
  target.replaceChildren(...nodes);
}
