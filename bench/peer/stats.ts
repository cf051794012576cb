/**
 * The pure half of the peer benchmark (`npm run bench:peer`): medians of interleaved rounds,
 * the goals of issue 14 and their verdicts, the cross-check of what both libraries answered,
 * and the table. No I/O and no clock here, so that test/bench-peer.test.ts can check the
 * arithmetic and the verdicts with made-up figures.
 */

/** One library's samples of one case: per-operation wall and host CPU, ms, one pair per round. */
export interface Samples {
  wall: number[];
  cpu: number[];
}

/** The median of each kind over the rounds. */
export interface Figure {
  wall: number;
  cpu: number;
  rounds: number;
}

/**
 * Median of a list (the mean of the two middle values for an even count); NaN for an empty list.
 * @example median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The medians of a case's rounds, or undefined when it has none.
 * @example figureOf({ wall: [2, 4, 3], cpu: [1, 1, 5] }) // { wall: 3, cpu: 1, rounds: 3 }
 */
export function figureOf(samples: Samples | undefined): Figure | undefined {
  if (!samples || samples.wall.length === 0) return undefined;
  return { wall: median(samples.wall), cpu: median(samples.cpu), rounds: samples.wall.length };
}

/**
 * trezor-direct's wall time as a multiple of trezorlib's; NaN when either is missing.
 * @example ratio(6, 4) // 1.5
 */
export function ratio(direct: number | undefined, peer: number | undefined): number {
  if (direct === undefined || peer === undefined || !(peer > 0) || !Number.isFinite(direct)) return Number.NaN;
  return direct / peer;
}

/** A goal of issue 14, checked against the figures of one row. */
export type Goal =
  /** trezor-direct's wall time at most `max` times trezorlib's. */
  | { kind: 'ratio'; max: number }
  /** trezor-direct's host CPU per operation at most `ms`. */
  | { kind: 'cpu'; ms: number }
  /** trezor-direct's wall time per operation at most `ms` (no peer needed). */
  | { kind: 'wall'; ms: number };

/** One row of the peer table. */
export interface Row {
  id: string;
  label: string;
  /** What one "operation" is, shown after the label: "per call", "per input", "per start". */
  unit: string;
  goals: Goal[];
  /** Whether CPU is worth a column for this row (start-up: it is whole-process CPU). */
  showCpu: boolean;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

/** Each goal's outcome: MISS with the measured value, n/a when a figure is missing. */
export interface GoalResult {
  goal: Goal;
  verdict: Verdict;
  /** The measured value the goal is about (ratio, ms). */
  value: number;
}

/**
 * Judges one goal. A ratio goal without a trezorlib figure is n/a, not a pass.
 * @example judge({ kind: 'cpu', ms: 0.2 }, { wall: 1, cpu: 0.3, rounds: 5 }, undefined).verdict // 'MISS'
 */
export function judge(goal: Goal, direct: Figure | undefined, peer: Figure | undefined): GoalResult {
  let value: number;
  let limit: number;
  switch (goal.kind) {
    case 'ratio':
      value = ratio(direct?.wall, peer?.wall);
      limit = goal.max;
      break;
    case 'cpu':
      value = direct?.cpu ?? Number.NaN;
      limit = goal.ms;
      break;
    case 'wall':
      value = direct?.wall ?? Number.NaN;
      limit = goal.ms;
      break;
  }
  const verdict: Verdict = Number.isNaN(value) ? 'n/a' : value <= limit ? 'PASS' : 'MISS';
  return { goal, verdict, value };
}

/**
 * A row's verdict: MISS when any goal misses, PASS when every goal passes, n/a otherwise (a
 * goal could not be judged, e.g. no trezorlib figure; the goal column says which).
 */
export function rowVerdict(results: readonly GoalResult[]): Verdict {
  if (results.some((r) => r.verdict === 'MISS')) return 'MISS';
  return results.every((r) => r.verdict === 'PASS') ? 'PASS' : 'n/a';
}

/**
 * The goal as the issue states it, e.g. "≤1.2× trezorlib", "CPU ≤0.2 ms", "≤150 ms".
 * @example goalText({ kind: 'ratio', max: 1.2 }) // '≤1.2× trezorlib'
 */
export function goalText(goal: Goal): string {
  switch (goal.kind) {
    case 'ratio':
      return `≤${goal.max}× trezorlib`;
    case 'cpu':
      return `CPU ≤${goal.ms} ms`;
    case 'wall':
      return `≤${goal.ms} ms`;
  }
}

/**
 * Milliseconds with two to three significant figures; "–" for a missing value.
 * @example ms(0.4712) // '0.471'
 */
export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(value >= 1 ? 2 : 3);
}

/** "wall / cpu" or "wall" for rows without a CPU column; "–" when missing. */
function cell(figure: Figure | undefined, showCpu: boolean): string {
  if (!figure) return '–';
  return showCpu ? `${ms(figure.wall)} / ${ms(figure.cpu)}` : ms(figure.wall);
}

/**
 * The cross-check: every case both libraries ran must have given the same answer (an
 * address, a serialized transaction, v/r/s). Returns one line per disagreement.
 * @example crossCheck({ a: 'x' }, { a: 'y' }) // ['a: trezorlib x, trezor-direct y']
 */
export function crossCheck(peer: Readonly<Record<string, string>>, direct: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const id of Object.keys(direct)) {
    if (!(id in peer)) continue;
    if (peer[id] !== direct[id]) problems.push(`${id}: trezorlib ${peer[id]}, trezor-direct ${direct[id]}`);
  }
  return problems;
}

/**
 * The peer table as Markdown: per row trezorlib and trezor-direct (median wall ms / host CPU
 * ms), the wall ratio, the goals and the verdict (a missed goal names its measured value).
 */
export function peerTable(
  rows: readonly Row[],
  peer: Readonly<Record<string, Figure | undefined>>,
  direct: Readonly<Record<string, Figure | undefined>>,
): string {
  const lines = [
    '| | trezorlib | trezor-direct | ratio | goal | |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const p = peer[row.id];
    const d = direct[row.id];
    const results = row.goals.map((goal) => judge(goal, d, p));
    const r = ratio(d?.wall, p?.wall);
    const goals = results.map((res) => goalText(res.goal) + (res.verdict === 'MISS' ? ` (${res.goal.kind === 'ratio' ? `${res.value.toFixed(2)}×` : `${ms(res.value)} ms`})` : res.verdict === 'n/a' ? ' (n/a)' : ''));
    const unit = row.showCpu ? `${row.unit}, ms / host CPU ms` : `${row.unit}, ms`;
    lines.push(
      `| ${row.label} (${unit}) | ${cell(p, row.showCpu)} | ${cell(d, row.showCpu)} | ${Number.isNaN(r) ? '–' : `${r.toFixed(2)}×`} | ${goals.join('; ')} | ${rowVerdict(results)} |`,
    );
  }
  return lines.join('\n');
}
