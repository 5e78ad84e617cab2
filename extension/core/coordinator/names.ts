// Themed agent names: tiered pools used up in order, unique within one project, released on
// dismiss, and `<Theme>-N` once a pool runs dry.
export const NAME_THEMES = {
  lotr: {
    label: 'LOTR',
    tiers: [
      ['Frodo', 'Sam', 'Gandalf', 'Aragorn', 'Legolas', 'Gimli', 'Merry', 'Pippin', 'Boromir'],
      [
        'Faramir',
        'Éowyn',
        'Galadriel',
        'Elrond',
        'Arwen',
        'Bilbo',
        'Théoden',
        'Éomer',
        'Treebeard',
        'Radagast',
      ],
      [
        'Glorfindel',
        'Haldir',
        'Celeborn',
        'Beregond',
        'Imrahil',
        'Tom Bombadil',
        'Goldberry',
        'Barliman',
        'Bard',
        'Thranduil',
      ],
    ],
  },
  rickAndMorty: {
    label: 'Rick',
    tiers: [
      ['Rick', 'Morty', 'Summer', 'Beth', 'Jerry'],
      [
        'Birdperson',
        'Squanchy',
        'Mr. Meeseeks',
        'Unity',
        'Noob-Noob',
        'Mr. Poopybutthole',
        'Scary Terry',
        'Krombopulos Michael',
      ],
    ],
  },
  starTrek: {
    label: 'Trek',
    tiers: [
      ['Picard', 'Riker', 'Data', 'Troi', 'Worf', 'Crusher', 'La Forge'],
      ['Kirk', 'Spock', 'McCoy', 'Uhura', 'Sulu', 'Chekov', 'Scotty'],
      ['Sisko', 'Kira', 'Odo', 'Dax', 'Janeway', 'Seven', 'Tuvok', 'Quark'],
    ],
  },
  discworld: {
    label: 'Disc',
    tiers: [
      ['Rincewind', 'Granny Weatherwax', 'Nanny Ogg', 'Vimes', 'Carrot', 'Angua', 'Death'],
      [
        'Moist',
        'Vetinari',
        'Tiffany',
        'Ridcully',
        'Librarian',
        'Nobby',
        'Colon',
        'Detritus',
        'Cheery',
      ],
    ],
  },
} as const;

export type NameTheme = keyof typeof NAME_THEMES;

export class NamePool {
  private readonly taken = new Set<string>();
  private overflow = 0;
  /** Every themed name is taken (until one is released): a burst of summons skips the scan. */
  private themedFull = false;

  constructor(private readonly theme: NameTheme = 'lotr') {}

  /** The next free name; `wanted` when given and free (a clear error when it is taken). */
  claim(wanted?: string): string {
    if (wanted !== undefined) {
      const name = wanted.trim();
      if (!name) throw new Error('An agent name cannot be empty.');
      if (this.isTaken(name))
        throw new Error(
          `The name "${name}" is already used in this project; dismiss that agent or pick another name.`,
        );
      this.taken.add(name.toLowerCase());
      return name;
    }
    if (!this.themedFull)
      for (const tier of NAME_THEMES[this.theme].tiers) {
        for (const name of tier) {
          if (!this.isTaken(name)) {
            this.taken.add(name.toLowerCase());
            return name;
          }
        }
      }
    this.themedFull = true;
    for (;;) {
      const name = `${NAME_THEMES[this.theme].label}-${++this.overflow}`;
      if (!this.isTaken(name)) {
        this.taken.add(name.toLowerCase());
        return name;
      }
    }
  }

  /** Marks names already in use (agents restored from .tavern/). */
  reserve(name: string): void {
    this.taken.add(name.toLowerCase());
  }

  release(name: string): void {
    this.taken.delete(name.toLowerCase());
    this.themedFull = false;
  }

  isTaken(name: string): boolean {
    return this.taken.has(name.toLowerCase());
  }
}
