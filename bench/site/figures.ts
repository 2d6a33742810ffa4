/** Which way is good, so the table can say who did better. */
export type Better = 'higher' | 'lower';

export interface Figure {
  readonly measure: string;
  readonly unit: string;
  readonly better: Better;
}

export interface FigureRow extends Figure {
  /** Per target, in the targets' order: the median of its rounds, or undefined if not measured. */
  readonly values: readonly (number | undefined)[];
  /** Per target, every round's value. */
  readonly rounds: readonly (readonly number[])[];
  /**
   * With two targets, first ÷ second: the median of the round-by-round ratios when both ran
   * every round (a pair ran minutes apart, so the machine's drift mostly cancels), else the
   * ratio of the medians. Undefined when the second is 0 or either is missing.
   */
  readonly ratio: number | undefined;
}

const median = (values: readonly number[]): number | undefined => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function ratioOf(rounds: readonly (readonly number[])[], values: readonly (number | undefined)[]): number | undefined {
  const [first = [], second = []] = rounds;
  if (rounds.length !== 2) return undefined;
  if (first.length > 1 && first.length === second.length && second.every((value) => value !== 0)) {
    return median(first.map((value, round) => value / second[round]!));
  }
  const [a, b] = values;
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** Values per figure and target, kept in the order figures were first recorded. */
export class Figures {
  readonly #targets: readonly string[];
  readonly #rows = new Map<string, { figure: Figure; rounds: number[][] }>();
  readonly notes: string[] = [];

  constructor(targets: readonly string[]) {
    this.#targets = targets;
  }

  record(target: string, figure: Figure, value: number): void {
    const key = `${figure.measure}\u0000${figure.unit}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { figure, rounds: this.#targets.map(() => []) };
      this.#rows.set(key, row);
    }
    const index = this.#targets.indexOf(target);
    if (index < 0) throw new Error(`unknown target ${target}`);
    row.rounds[index]!.push(value);
  }

  note(target: string, text: string): void {
    this.notes.push(`${target}: ${text}`);
  }

  rows(): FigureRow[] {
    return [...this.#rows.values()].map(({ figure, rounds }) => {
      const values = rounds.map(median);
      return { ...figure, values, rounds, ratio: ratioOf(rounds, values) };
    });
  }
}
