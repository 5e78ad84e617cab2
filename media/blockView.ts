// One transcript block as DOM. Long or noisy blocks (thinking, tool calls) are collapsible;
// which ones the user opened is remembered by block key, because virtualization re-creates
// nodes as they scroll in and out.
import { boundText } from '../protocol/bound';
import { el, formatCost, formatTokens, icon } from './dom';
import { renderMarkdown } from './markdown';
import { toolInputView, toolSubject } from './toolView';
import type { Block } from './transcriptModel';

export interface BlockContext {
  agentName: string;
  /** The agent runs the scripted engine: its messages' [[directives]] are steps, not prose. */
  scripted: boolean;
  /** Keys of collapsible blocks the user opened. */
  open: Set<number>;
}

function collapsible(
  block: Block,
  ctx: BlockContext,
  className: string,
  summary: (HTMLElement | string)[],
  body: () => HTMLElement[],
): HTMLElement {
  const details = el('details', `block ${className}`);
  const head = el('summary');
  head.append(...summary);
  details.append(head);
  // The body is built on first open: a 10k-event transcript never pays for closed blocks.
  const fill = (): void => {
    if (details.childElementCount === 1) details.append(...body());
  };
  if (ctx.open.has(block.key)) {
    details.open = true;
    fill();
  }
  details.addEventListener('toggle', () => {
    if (details.open) {
      ctx.open.add(block.key);
      fill();
    } else ctx.open.delete(block.key);
  });
  return details;
}

/** `mcp__tavern__summon_agent` reads as `summon_agent` with its server in the tooltip. */
function toolNameView(name: string): HTMLElement {
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  const node = el('span', 'tool-name', mcp ? mcp[2]! : name);
  node.title = mcp ? `${mcp[2]} (MCP server ${mcp[1]})` : name;
  return node;
}

/** A scripted message as a reader wants it: its prose, and how many steps the script has. */
function scriptText(text: string): string {
  const steps = text.match(/\[\[\w+/g)?.length ?? 0;
  if (steps === 0) return text;
  const prose = text
    .replace(/\[\[[\s\S]*?\]\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return `${prose}${prose ? ' ' : ''}(+ ${steps} scripted step${steps === 1 ? '' : 's'})`;
}

const PERMISSION_WORDS = { pending: 'waiting for you', allowed: 'allowed', denied: 'denied' };

export function renderBlock(block: Block, ctx: BlockContext): HTMLElement {
  switch (block.kind) {
    case 'user': {
      const node = el('div', 'block user');
      const who =
        !block.from || block.from === 'user'
          ? 'You'
          : block.from === 'tavern'
            ? 'Tavern'
            : block.from;
      node.append(
        el('div', 'who', who),
        el('div', 'plain', ctx.scripted ? scriptText(block.text) : block.text),
      );
      return node;
    }
    case 'text': {
      const node = el('div', 'block text markdown');
      renderMarkdown(block.text, node);
      return node;
    }
    case 'thinking':
      return collapsible(
        block,
        ctx,
        'thinking',
        [icon('lightbulb'), el('span', undefined, 'Thinking')],
        () => [el('div', 'plain', block.text)],
      );
    case 'tool': {
      const status = block.result
        ? block.result.isError
          ? el('span', 'tool-status error', 'failed')
          : el('span', 'tool-status ok', 'done')
        : el('span', 'tool-status running', 'running');
      return collapsible(
        block,
        ctx,
        `tool${block.result?.isError ? ' failed' : ''}`,
        [
          icon('tools'),
          toolNameView(block.name),
          el('span', 'subject', toolSubject(block.input)),
          status,
        ],
        () => {
          const parts: HTMLElement[] = [];
          if (block.input !== undefined) parts.push(toolInputView(block.name, block.input));
          if (block.result)
            parts.push(
              el(
                'pre',
                `tool-result${block.result.isError ? ' error' : ''}`,
                block.result.content.slice(0, 40_000),
              ),
            );
          return parts;
        },
      );
    }
    case 'error': {
      const node = el('div', 'block error');
      node.setAttribute('role', 'alert');
      node.append(icon('error'), el('span', 'plain', block.message));
      return node;
    }
    case 'notice': {
      const node = el('div', `block notice ${block.level}`);
      node.append(
        icon(block.level === 'warning' ? 'warning' : 'info'),
        el('span', undefined, boundText(block.message, 4_000)),
      );
      return node;
    }
    case 'state': {
      const text = `${ctx.agentName} ${block.state}${block.reason ? `: ${block.reason}` : ''}`;
      return el('div', `block state state-${block.state}`, text);
    }
    case 'result': {
      const parts = [
        block.ok ? 'Turn finished' : 'Turn failed',
        `${block.turns} turn${block.turns === 1 ? '' : 's'}`,
        `${formatTokens(block.inputTokens)} in · ${formatTokens(block.outputTokens)} out`,
        formatCost(block.costUsd),
        `${(block.durationMs / 1000).toFixed(1)} s`,
      ];
      return el('div', 'block result', parts.join(' · '));
    }
    case 'report': {
      const node = el('div', `block report report-${block.status}`);
      const label = block.status === 'needs_input' ? 'needs input' : block.status;
      node.append(el('span', 'badge', label), el('div', 'plain', block.summary));
      return node;
    }
    case 'permission': {
      const what = block.request === 'plan' ? 'Proposed a plan' : `Asked to use ${block.tool}`;
      const node = el('div', `block permission permission-${block.status}`);
      node.append(
        icon(
          block.status === 'allowed'
            ? 'pass'
            : block.status === 'denied'
              ? 'circle-slash'
              : 'question',
        ),
        el(
          'span',
          undefined,
          `${what} ${toolSubject(block.input)} — ${PERMISSION_WORDS[block.status]}${block.message ? ` (${block.message})` : ''}`,
        ),
      );
      return node;
    }
  }
}
