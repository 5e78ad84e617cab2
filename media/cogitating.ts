// "Cogitating…": a themed verb, changed every few seconds, while the agent on screen works.
import { el, icon } from './dom';

const VERBS = [
  'Cogitating',
  'Brewing',
  'Pondering',
  'Haggling',
  'Ruminating',
  'Tapping a fresh keg',
  'Consulting the regulars',
  'Polishing the bar',
  'Conjuring',
  'Scheming',
  'Tallying the slate',
  'Mulling it over',
  'Rolling up sleeves',
  'Sharpening quills',
];

export class Cogitating {
  readonly root = el('div', 'cogitating');
  private readonly label = el('span', 'verb');
  private timer: ReturnType<typeof setInterval> | undefined;
  private index = Math.floor(Math.random() * VERBS.length);

  constructor() {
    this.root.setAttribute('role', 'status');
    this.root.append(icon('loading codicon-modifier-spin'), this.label);
    this.root.hidden = true;
  }

  set(working: boolean, name: string): void {
    if (!working) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    const show = (): void => {
      this.label.textContent = `${name} — ${VERBS[this.index % VERBS.length]}…`;
    };
    show();
    this.timer ??= setInterval(() => {
      this.index++;
      show();
    }, 3000);
  }
}
