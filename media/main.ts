// The Tavern webview: Jake's chat and the squad, the transcript of whoever is selected
// (virtualized, drawn per animation frame), pending approvals, the input, and the workers.
// Everything from the host is zod-checked, once, here; DOM is built with textContent only.
// The host sends each event once (a page, then live batches that start after it), so the
// transcript is appended to as it comes, never de-duplicated.
import './zodSetup';
import type { AgentEventEnvelope } from '../protocol/agentEvents';
import {
  parseHostMessage,
  parseTranscriptPage,
  type AgentRow,
  type ChangesView,
  type HostMessage,
  type WebviewMessage,
} from '../protocol/webview';
import { renderApprovals } from './approvalsView';
import { renderChanges } from './changesView';
import { runSlash } from './slashCommands';
import { renderBlock } from './blockView';
import { Cogitating } from './cogitating';
import { Composer } from './composer';
import { el, formatCost, formatTokens, iconButton } from './dom';
import { makeSection, type Section, type SectionState } from './sections';
import { renderSquad } from './squadSection';
import { TranscriptModel } from './transcriptModel';
import { TranscriptPages } from './transcriptPages';
import { VirtualList } from './virtualList';
import { renderWelcome } from './welcomeView';
import { renderWorkers } from './workersSection';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type WorkersMessage = Extract<HostMessage, { type: 'workers' }>;
type SquadMessage = Extract<HostMessage, { type: 'squad' }>;
interface SavedState {
  workers?: unknown;
  squad?: unknown;
  selectedId?: string;
  layout?: { squad?: SectionState; workers?: SectionState };
}

/** The least time between two draws of a streaming transcript. */
const DRAW_EVERY_MS = 30;

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() ?? {}) as SavedState;
const layout = { squad: { open: true }, workers: { open: true }, ...saved.layout };
const post = (message: WebviewMessage): void => vscode.postMessage(message);
const root = document.getElementById('app') as HTMLElement;

// --- layout -------------------------------------------------------------------------------
const notices = el('div', 'notices');
const squadSection = makeSection({
  className: 'squad',
  label: 'the squad',
  share: 0.25,
  state: layout.squad,
  other: () => workersSection.height,
  onChange: (state) => {
    layout.squad = state;
    workersSection.fit();
    save();
  },
});
const squadTitle = el('h2', undefined, 'Squad');
squadSection.summary.append(
  squadTitle,
  iconButton('add', 'Summon an agent', () => post({ type: 'summonAgent' }), 'Summon'),
  iconButton(
    'shield',
    'Always-allow rules: list and revoke them',
    () => post({ type: 'manageRules' }),
    'Rules',
  ),
);
const squadBody = squadSection.body;

const conversation = el('section', 'conversation');
const convHeader = el('header', 'conversation-header');
const title = el('span', 'title');
const stateLabel = el('span', 'state-label');
const costLabel = el('span', 'cost');
convHeader.append(title, stateLabel, costLabel);
let olderRequested = false;
function loadOlder(): void {
  if (!model || olderButton.hidden || olderRequested || pages.isLoading) return;
  olderRequested = true;
  post({ type: 'loadOlder', agentId: model.agentId, beforeSeq: model.firstSeq });
}
const olderButton = iconButton('history', 'Load earlier events', loadOlder, 'Load earlier events');
olderButton.classList.add('older');
olderButton.hidden = true;
const open = new Map<string, Set<number>>();
const list = new VirtualList(
  (block) =>
    renderBlock(block, {
      agentName: selected()?.name ?? '',
      scripted: selected()?.engine.startsWith('scripted') === true,
      open: openSet(),
    }),
  loadOlder, // reaching the top of what is loaded fetches the page before it
);
const pages = new TranscriptPages({
  show: showPage,
  isShown: (agentId) => agentId === selectedId,
  rejected: (count) =>
    note(`${count} event(s) of this transcript could not be read and are not shown.`),
  busy: (loading) => list.viewport.setAttribute('aria-busy', String(loading)),
});
list.viewport.setAttribute('aria-busy', 'false');
const cogitating = new Cogitating();
const localNote = el('div', 'local-note');
localNote.setAttribute('role', 'status');
const approvals = el('div', 'approvals');
approvals.hidden = true;
const welcomeBox = el('div', 'welcome-box');
welcomeBox.hidden = true;
const changesBox = el('div', 'changes-box');
changesBox.hidden = true;
/** The last changes view per agent (they stay until the agent's next update). */
const changes = new Map<string, ChangesView>();
const composer = new Composer({
  send: (text) => {
    if (selectedId) post({ type: 'send', agentId: selectedId, text });
    note();
    list.scrollToEnd();
  },
  stop: () => {
    if (selectedId && inTurn()) post({ type: 'interrupt', agentId: selectedId });
  },
  command: (name) =>
    runSlash(name, { agent: selected(), events: model?.lastSeq ?? 0, note, post, usageText }),
});
conversation.append(
  convHeader,
  olderButton,
  list.viewport,
  cogitating.root,
  localNote,
  welcomeBox,
  changesBox,
  approvals,
  composer.root,
);

const workersSection: Section = makeSection({
  className: 'workers',
  label: 'the workers',
  share: 0.2,
  state: layout.workers,
  other: () => squadSection.height,
  onChange: (state) => {
    layout.workers = state;
    squadSection.fit();
    save();
  },
});
const workersTitle = el('h2', undefined, 'Workers');
workersSection.summary.append(
  workersTitle,
  iconButton('plug', 'Attach a worker by URL', () => post({ type: 'attachWorker' }), 'Attach'),
);
const workersBody = workersSection.body;
squadSection.fit();
workersSection.fit();
root.replaceChildren(
  notices,
  squadSection.root,
  squadSection.handle,
  conversation,
  workersSection.handle,
  workersSection.root,
);

// --- state --------------------------------------------------------------------------------
let workers: WorkersMessage | undefined;
let squad: SquadMessage | undefined;
let selectedId: string | undefined;
let model: TranscriptModel | undefined;
let raw: AgentEventEnvelope[] = [];
let pending: AgentEventEnvelope[] = [];
let frame = 0;
let lastDrawn = -Infinity;
let openRequested = false;

function selected(): AgentRow | undefined {
  return squad?.agents.find((a) => a.id === selectedId);
}
function openSet(): Set<number> {
  const id = selectedId ?? '';
  let set = open.get(id);
  if (!set) open.set(id, (set = new Set()));
  return set;
}
function isWorking(): boolean {
  const state = model?.state ?? selected()?.state;
  return state === 'working' || state === 'summoned';
}
/** Mid-turn: working, or paused on an approval (Stop then denies it and ends the turn). */
function inTurn(): boolean {
  if (isWorking()) return true;
  // The transcript's own state when it has one, else the squad row's.
  const source = model?.state !== undefined ? model : selected();
  const reason = source?.stateReason;
  return source?.state === 'waiting' && (reason === 'permission' || reason === 'plan');
}
function save(): void {
  vscode.setState({ workers, squad, selectedId, layout } satisfies SavedState);
}
function note(...lines: string[]): void {
  localNote.replaceChildren(...lines.map((l) => el('div', undefined, l)));
}

// --- rendering ----------------------------------------------------------------------------
/** The agent's totals (protocol/usage.ts): the same figures in the header, the squad and /cost. */
function usageText(agent: AgentRow): string {
  return `${formatTokens(agent.inputTokens)} in · ${formatTokens(agent.outputTokens)} out · ${formatCost(agent.costUsd)}`;
}

function renderConversation(): void {
  const agent = selected();
  conversation.hidden = !agent;
  if (!agent) return;
  title.textContent = agent.isJake ? `${agent.name} · The Proprietor` : agent.name;
  const state = model?.state ?? agent.state;
  const shownState = agent.state === 'lost' ? 'lost' : state;
  stateLabel.textContent = `${shownState}${agent.stateReason && shownState === 'waiting' ? ` (${agent.stateReason})` : ''}`;
  stateLabel.className = `state-label state-${shownState}`;
  costLabel.textContent = usageText(agent);
  const reachable = agent.state !== 'lost';
  cogitating.set(isWorking() && reachable, agent.name);
  composer.configure(agent.name, inTurn() && reachable, reachable && agent.state !== 'dismissed');
  renderWelcome(
    welcomeBox,
    agent.isJake ? squad?.welcome : undefined,
    agent.isJake && squad?.demo === true,
    post,
  );
  renderChanges(changesBox, agent.isJake ? undefined : agent, changes.get(agent.id), post);
  renderApprovals(
    approvals,
    (squad?.approvals ?? []).filter((a) => a.agentId === agent.id),
    agent.name,
    post,
  );
}

function select(agentId: string): void {
  if (agentId === selectedId && model) return;
  selectedId = agentId;
  pages.cancel();
  model = undefined;
  raw = [];
  pending = [];
  list.reset([]);
  note();
  if (squad) renderSquad(squadBody, squad, selectedId, post, select);
  renderConversation();
  save();
  openRequested = true;
  post({ type: 'openAgent', agentId });
}

/** reset: the newest page; otherwise an older part goes before what is shown. */
function showPage(
  agentId: string,
  events: AgentEventEnvelope[],
  reset: boolean,
  more: boolean,
): void {
  // A new page covers every event sent before it: what still waits for a frame is in it.
  if (reset) pending = [];
  raw = reset ? events : events.concat(raw);
  model = new TranscriptModel(agentId);
  model.append(raw);
  olderButton.hidden = !more || pages.isLoading;
  olderRequested = false;
  if (reset) list.reset(model.blocks);
  else list.prepended(model.blocks, events[events.length - 1]?.seq ?? 0);
  renderConversation();
}

function flush(now: number): void {
  frame = 0;
  if (!model || pending.length === 0) return;
  // At most ~30 draws a second: a stream reads as smoothly, and each draw lays out only what
  // is on screen, so fewer draws is less work, not less shown.
  if (now - lastDrawn < DRAW_EVERY_MS) return void (frame = requestAnimationFrame(flush));
  lastDrawn = now;
  const batch = pending;
  pending = [];
  const { state, stateReason } = model;
  model.append(batch);
  for (const envelope of batch) raw.push(envelope);
  list.update(model.blocks);
  // The rest of the view follows the agent's state only: redrawn every frame of a stream, its
  // buttons (approvals, review) were replaced under the pointer, and clicks got lost.
  if (model.state !== state || model.stateReason !== stateReason) renderConversation();
}

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'workers':
      workers = message;
      renderWorkers(workersBody, message, post);
      workersTitle.textContent = `Workers (${message.workers.filter((w) => w.status === 'connected').length}/${message.workers.length})`;
      save();
      return;
    case 'squad': {
      squad = message;
      const known = message.agents.some((a) => a.id === selectedId);
      if (!known && message.agents[0]) select(message.agents[0].id);
      renderSquad(squadBody, message, selectedId, post, select);
      squadTitle.textContent = `Squad (${message.agents.filter((a) => !a.isJake).length})`;
      renderConversation();
      save();
      return;
    }
    case 'events':
      if (message.agentId !== selectedId || !model) return;
      for (const envelope of message.events) pending.push(envelope);
      frame ||= requestAnimationFrame(flush);
      return;
    case 'changes':
      changes.set(message.view.agentId, message.view);
      if (message.view.agentId === selectedId) renderConversation();
      return;
    case 'select':
      if (squad?.agents.some((a) => a.id === message.agentId)) select(message.agentId);
      return;
    case 'notice': {
      const n = el('div', `notice ${message.level}`);
      n.setAttribute('role', message.level === 'error' ? 'alert' : 'status');
      n.append(
        el('span', undefined, message.text),
        iconButton('close', 'Dismiss this message', () => n.remove()),
      );
      notices.append(n);
      return;
    }
  }
}

// Links in transcripts open through VS Code (the host allows http(s) and mailto only).
document.addEventListener('click', (event) => {
  const link = (event.target as Element | null)?.closest?.('a');
  if (!link) return;
  event.preventDefault();
  const href = link.getAttribute('href');
  if (href) post({ type: 'openLink', href });
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // Transcript pages are checked in chunks, newest first (transcriptPages.ts).
  const page = parseTranscriptPage(event.data);
  if (page) return pages.load(page);
  const message = parseHostMessage(event.data);
  if (message) onHostMessage(message);
});

// Survive hide/show: paint the last state at once, then ask the host for fresh data.
const savedWorkers = parseHostMessage(saved.workers);
if (savedWorkers?.type === 'workers') onHostMessage(savedWorkers);
selectedId = typeof saved.selectedId === 'string' ? saved.selectedId : undefined;
const savedSquad = parseHostMessage(saved.squad);
if (savedSquad?.type === 'squad') onHostMessage(savedSquad);
else renderConversation();
post({ type: 'ready' });
if (selectedId && !openRequested) post({ type: 'openAgent', agentId: selectedId });
