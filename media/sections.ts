// The squad and the workers as collapsible sections with a draggable (and keyboard-movable)
// edge, so the user decides how much room each gets; together they never take more than half
// the panel, so the conversation always keeps the other half. Sizes and open/closed survive
// reloads through the webview state.
import { el } from './dom';

export interface SectionState {
  open: boolean;
  /** The body's height in px, once the user resized it. */
  px?: number;
}

export interface Section {
  readonly root: HTMLDetailsElement;
  readonly summary: HTMLElement;
  readonly body: HTMLElement;
  /** The edge to drag, placed between this section and the conversation. */
  readonly handle: HTMLElement;
  /** Re-applies the bound (the panel was resized, the other section changed). */
  fit(): void;
  readonly height: number;
}

const MIN_PX = 48;
const STEP_PX = 24;

export function makeSection(options: {
  className: string;
  label: string;
  /** The default height as a share of the panel. */
  share: number;
  state: SectionState;
  /** Room the other section takes (its body height when open, else 0). */
  other: () => number;
  onChange: (state: SectionState) => void;
}): Section {
  const root = el('details', `section ${options.className}`);
  root.open = options.state.open;
  const summary = el('summary');
  const body = el('div', `section-body ${options.className}-body`);
  root.append(summary, body);
  const handle = el('div', 'section-handle');
  handle.tabIndex = 0;
  handle.setAttribute('role', 'separator');
  handle.setAttribute('aria-orientation', 'horizontal');
  handle.setAttribute('aria-label', `Resize ${options.label} (arrow keys)`);
  let px = options.state.px;

  /** Half the panel, less what the other section takes: the conversation keeps the rest. */
  const max = (): number => Math.max(MIN_PX, window.innerHeight * 0.5 - options.other());
  const clamp = (value: number): number => Math.min(max(), Math.max(MIN_PX, value));
  const current = (): number => px ?? window.innerHeight * options.share;
  const apply = (): void => {
    const h = clamp(current());
    body.style.maxHeight = `${Math.round(h)}px`;
    handle.setAttribute('aria-valuenow', String(Math.round(h)));
    handle.setAttribute('aria-valuemax', String(Math.round(max())));
    handle.setAttribute('aria-valuemin', String(MIN_PX));
    handle.hidden = !root.open;
  };
  const save = (): void =>
    options.onChange({ open: root.open, ...(px !== undefined ? { px } : {}) });
  root.addEventListener('toggle', () => {
    apply();
    save();
  });
  // The squad sits above its edge, the workers below theirs: dragging down grows the squad
  // and shrinks the workers.
  const sign = options.className === 'workers' ? -1 : 1;
  handle.addEventListener('pointerdown', (down) => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    const startY = down.clientY;
    const start = clamp(current());
    const move = (event: PointerEvent): void => {
      px = clamp(start + sign * (event.clientY - startY));
      apply();
    };
    const up = (): void => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      save();
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  });
  handle.addEventListener('keydown', (event) => {
    const delta =
      event.key === 'ArrowDown' ? STEP_PX : event.key === 'ArrowUp' ? -STEP_PX : undefined;
    if (event.key === 'Home') px = MIN_PX;
    else if (event.key === 'End') px = max();
    else if (delta !== undefined) px = clamp(current() + sign * delta);
    else return;
    event.preventDefault();
    apply();
    save();
  });
  window.addEventListener('resize', apply);
  // The caller calls fit() once both sections exist (each one's bound depends on the other).
  return {
    root,
    summary,
    body,
    handle,
    fit: apply,
    get height() {
      return root.open ? body.getBoundingClientRect().height : 0;
    },
  };
}
