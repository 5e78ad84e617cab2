// A virtualized transcript: only the blocks near the viewport are in the DOM; the rest are
// two spacers sized from measured (or estimated) heights. It sticks to the bottom while the
// user is there, and stays put when they scroll up to read.
import { el } from './dom';
import type { Block } from './transcriptModel';

const ESTIMATE_PX = 44;
const OVERSCAN_PX = 500;
const STICK_PX = 40;

interface Rendered {
  version: number;
  node: HTMLElement;
}

export class VirtualList {
  readonly viewport = el('div', 'transcript');
  private readonly top = el('div', 'spacer');
  private readonly items = el('div', 'items');
  private readonly bottom = el('div', 'spacer');
  private readonly heights = new Map<number, number>();
  private rendered = new Map<number, Rendered>();
  private blocks: readonly Block[] = [];
  private stick = true;
  private frame = 0;

  constructor(
    private readonly renderBlock: (block: Block) => HTMLElement,
    private readonly onNearTop: () => void,
  ) {
    this.viewport.tabIndex = 0;
    this.viewport.setAttribute('role', 'log');
    this.viewport.append(this.top, this.items, this.bottom);
    this.viewport.addEventListener('scroll', () => {
      const { scrollHeight, scrollTop, clientHeight } = this.viewport;
      this.stick = scrollHeight - scrollTop - clientHeight < STICK_PX;
      if (scrollTop < OVERSCAN_PX) this.onNearTop();
      this.schedule();
    });
    new ResizeObserver(() => this.schedule()).observe(this.items);
  }

  /** Shows another transcript (or the same one rebuilt): forget every node and height. */
  reset(blocks: readonly Block[]): void {
    this.blocks = blocks;
    this.heights.clear();
    this.rendered = new Map();
    this.stick = true;
    this.render();
  }

  /** The blocks changed in place or grew: redraw what is visible. */
  update(blocks: readonly Block[]): void {
    this.blocks = blocks;
    this.render();
  }

  /**
   * Older blocks were put before the ones shown (keys up to `lastOlderKey`): keep what the
   * user is reading where it is by moving the scroll position down by their height.
   */
  prepended(blocks: readonly Block[], lastOlderKey: number): void {
    let added = 0;
    for (const b of blocks) {
      if (b.key > lastOlderKey) break;
      added += this.height(b);
    }
    this.blocks = blocks;
    this.render(this.stick ? undefined : this.viewport.scrollTop + added);
  }

  /** How many blocks are in the DOM right now (the bound the panel keeps). */
  get renderedCount(): number {
    return this.items.childElementCount;
  }

  scrollToEnd(): void {
    this.stick = true;
    this.render();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private height(block: Block): number {
    return this.heights.get(block.key) ?? ESTIMATE_PX;
  }

  /** Draws what is on screen: the end when stuck to it, else around `target` (or the user). */
  private render(target?: number): void {
    if (this.stick) this.renderEnd();
    else this.renderAround(target ?? this.viewport.scrollTop, target !== undefined);
  }

  /**
   * Stuck to the bottom, where text streams in: blocks go in from the last one up, measured
   * as they go in, until the screen and the overscan are full; in groups of 1, 2, 4... blocks,
   * one layout per group. Choosing them by estimated heights first laid out every block of a
   * burst (many screens of text) only to drop most of them once measured, and laying out
   * text is most of what the panel costs.
   */
  private renderEnd(): void {
    const blocks = this.blocks;
    const need = (this.viewport.clientHeight || 600) + OVERSCAN_PX;
    const next = new Map<number, Rendered>();
    let below: HTMLElement | null = null; // the node the next one goes before (null: the end)
    let filled = 0;
    let first = blocks.length;
    for (let group = 1; first > 0 && filled < need; group *= 2) {
      const placed: [Block, HTMLElement][] = [];
      for (let n = 0; n < group && first > 0; n++) {
        const block = blocks[--first]!;
        const known = this.rendered.get(block.key);
        let node = known?.node;
        if (!node || known!.version !== block.version) {
          node?.remove();
          node = this.renderBlock(block);
          node.dataset.key = String(block.key);
        }
        if (node.nextSibling !== below || node.parentNode !== this.items)
          this.items.insertBefore(node, below);
        next.set(block.key, { version: block.version, node });
        placed.push([block, node]);
        below = node;
      }
      // The first read lays the group out; the rest read what that layout found.
      for (const [block, node] of placed) {
        const height = node.offsetHeight;
        this.heights.set(block.key, height);
        filled += height;
      }
    }
    while (this.items.firstChild && this.items.firstChild !== below) this.items.firstChild.remove();
    this.rendered = next;
    let above = 0;
    for (let i = 0; i < first; i++) above += this.height(blocks[i]!);
    this.top.style.height = `${above}px`;
    this.bottom.style.height = '0px';
    this.viewport.scrollTop = this.viewport.scrollHeight;
  }

  /**
   * Draws the blocks around scroll position `scrollTop` (the user scrolled up to read), and
   * moves there if `move` (older blocks went in above).
   */
  private renderAround(scrollTop: number, move: boolean): void {
    const blocks = this.blocks;
    const view = this.viewport.clientHeight || 600;
    const from = scrollTop - OVERSCAN_PX;
    const to = scrollTop + view + OVERSCAN_PX;
    let offset = 0;
    let first = blocks.length;
    let firstOffset = 0;
    let last = blocks.length;
    for (let i = 0; i < blocks.length; i++) {
      const h = this.height(blocks[i]!);
      if (first === blocks.length && offset + h >= from) {
        first = i;
        firstOffset = offset;
      }
      if (offset > to) {
        last = i;
        break;
      }
      offset += h;
    }
    const next = new Map<number, Rendered>();
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const block = blocks[i]!;
      const known = this.rendered.get(block.key);
      const node = known && known.version === block.version ? known.node : this.renderBlock(block);
      node.dataset.key = String(block.key);
      next.set(block.key, { version: block.version, node });
      nodes.push(node);
    }
    const same =
      nodes.length === this.items.childElementCount &&
      nodes.every((n, i) => this.items.children[i] === n);
    if (!same) this.items.replaceChildren(...nodes);
    this.rendered = next;
    // Measure what is shown; the spacers carry everything else.
    for (let i = first; i < last; i++) {
      const block = blocks[i]!;
      this.heights.set(block.key, next.get(block.key)!.node.offsetHeight);
    }
    let below = 0;
    for (let i = last; i < blocks.length; i++) below += this.height(blocks[i]!);
    this.top.style.height = `${firstOffset}px`;
    this.bottom.style.height = `${below}px`;
    if (move) this.viewport.scrollTop = scrollTop;
  }
}
