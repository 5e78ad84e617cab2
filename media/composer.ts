// The input: multi-line (Enter sends, Shift+Enter adds a line), Send and Stop, and slash
// commands handled in the panel (/help /cost /status /dismiss /stop).
import { el, iconButton } from './dom';

export interface ComposerHooks {
  send(text: string): void;
  stop(): void;
  /** A slash command; returns false when it is unknown. */
  command(name: string, args: string): boolean;
}

export const SLASH_HELP: [string, string][] = [
  ['/help', 'this list'],
  ['/cost', 'tokens and cost of the agent on screen'],
  ['/status', 'state, worker and engine of the agent on screen'],
  ['/stop', 'interrupt the agent on screen (same as Stop)'],
  ['/dismiss', 'dismiss the agent on screen (its transcript is kept)'],
  ['/login', 'sign in to Claude Code (in a terminal)'],
  ['/key', 'give Tavern an Anthropic API key'],
  ['/demo', 'switch Jake to the offline demo'],
];

export class Composer {
  readonly root = el('div', 'composer');
  readonly input = el('textarea', 'input');
  private readonly stopButton: HTMLButtonElement;

  constructor(private readonly hooks: ComposerHooks) {
    this.input.rows = 2;
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      } else if (event.key === 'Escape') this.hooks.stop();
    });
    this.input.addEventListener('input', () => this.autosize());
    this.stopButton = iconButton(
      'debug-stop',
      'Stop (interrupt the agent)',
      () => this.hooks.stop(),
      'Stop',
    );
    this.stopButton.classList.add('stop');
    const buttons = el('div', 'composer-buttons');
    buttons.append(
      this.stopButton,
      iconButton('send', 'Send (Enter)', () => this.submit(), 'Send'),
    );
    this.root.append(this.input, buttons);
  }

  /** Who the input talks to, and whether Stop applies. */
  configure(agentName: string, working: boolean, enabled: boolean): void {
    this.input.placeholder = enabled
      ? `Message ${agentName} — Enter to send, Shift+Enter for a new line, /help`
      : `${agentName} cannot take messages right now`;
    this.input.setAttribute('aria-label', `Message ${agentName}`);
    this.input.disabled = !enabled;
    this.stopButton.hidden = !working;
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    const slash = /^\/(\w+)\s*([\s\S]*)$/.exec(text);
    if (slash && !text.startsWith('//')) {
      if (!this.hooks.command(slash[1]!.toLowerCase(), slash[2] ?? '')) return;
    } else this.hooks.send(text.startsWith('//') ? text.slice(1) : text);
    this.input.value = '';
    this.autosize();
  }
}
