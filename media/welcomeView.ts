// What the panel shows Jake's visitor before he can run: a welcome card with the ways to get
// him going (never a failure), and, while he runs the offline demo, a banner that says so.
import type { Welcome, WebviewMessage } from '../protocol/webview';
import { el, iconButton } from './dom';

type Post = (message: WebviewMessage) => void;

export function renderWelcome(
  target: HTMLElement,
  welcome: Welcome | undefined,
  demo: boolean,
  post: Post,
): void {
  const act = (action: Extract<WebviewMessage, { type: 'welcome' }>['action']) => () =>
    post({ type: 'welcome', action });
  if (demo) {
    const banner = el('div', 'demo-banner');
    banner.setAttribute('role', 'status');
    banner.append(
      el(
        'span',
        undefined,
        'Offline demo: Jake follows a script (no model, no cost); the workers, agents and approvals are real.',
      ),
      iconButton(
        'sparkle',
        'Use Claude: run Jake on Claude instead of the demo script',
        act('model'),
        'Use Claude',
      ),
    );
    target.replaceChildren(banner);
    target.hidden = false;
    return;
  }
  if (!welcome) {
    target.replaceChildren();
    target.hidden = true;
    return;
  }
  const card = el('div', 'welcome');
  card.setAttribute('role', 'group');
  card.setAttribute('aria-label', 'Get Jake going');
  card.append(el('div', 'welcome-title', 'Welcome to the Tavern'));
  if (welcome.checking) {
    card.append(el('p', undefined, welcome.reason));
  } else {
    card.append(
      el('p', undefined, 'Jake runs on Claude Code, and it is not ready here yet:'),
      el('p', 'welcome-reason', welcome.reason),
      el('p', undefined, 'Pick one (you can change it later):'),
    );
    const actions = el('div', 'welcome-actions');
    if (welcome.offerInstall)
      actions.append(
        iconButton(
          'cloud-download',
          'Install Claude Code: download it from the npm registry into Tavern’s storage (about 190 MB)',
          act('install'),
          'Install Claude Code',
        ),
      );
    actions.append(
      iconButton(
        'key',
        'Use an API key: give Tavern an Anthropic API key (kept in secret storage)',
        act('apiKey'),
        'Use an API key',
      ),
      iconButton(
        'account',
        'Sign in with Claude: your Claude account, in a terminal',
        act('signIn'),
        'Sign in with Claude',
      ),
      iconButton(
        'play',
        'Try the offline demo: no model, no key, the real machinery',
        act('demo'),
        'Try the offline demo',
      ),
    );
    card.append(actions);
  }
  target.replaceChildren(card);
  target.hidden = false;
}
