// Tiny DOM helpers. Text only ever enters the page through textContent.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function icon(name: string): HTMLSpanElement {
  const span = el('span', `codicon codicon-${name}`);
  span.setAttribute('aria-hidden', 'true');
  return span;
}

/** A button with a codicon, a visible label (optional) and an accessible name. */
export function iconButton(
  iconName: string,
  title: string,
  onClick: () => void,
  label?: string,
): HTMLButtonElement {
  const b = el('button', label ? 'action' : 'action icon-only');
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.append(icon(iconName));
  if (label) b.append(el('span', 'label', label));
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick();
  });
  return b;
}

export const formatCost = (usd: number): string =>
  usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;

export const formatTokens = (n: number): string =>
  n >= 1_000_000
    ? `${(n / 1_000_000).toFixed(1)}M`
    : n >= 1_000
      ? `${(n / 1_000).toFixed(1)}k`
      : String(n);
