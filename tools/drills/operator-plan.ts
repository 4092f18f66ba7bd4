/**
 * R5's operator sequences: a small seeded generator, the plan of one chain's sequence (what the operator
 * does, when, with which random choices) and the prompts whose markers let the ledger tell every segment
 * and redo generation apart. A seed gives the same plan every time (`--only R5 --seed N`).
 */

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type ActionKind = 'pause' | 'resume' | 'resume-raise' | 'cancel' | 'redo' | 'redo-prompt' | 'append';

export interface Step {
  kind: ActionKind;
  /** Wall ms before the action. */
  delayMs: number;
  /** The action's random choice in [0, 1): redo's segment, append's count, a raise's size. */
  u: number;
}

export interface Plan {
  seed: number;
  segments: number;
  /** `--max-credits` at start, if any. */
  cap?: number;
  /** At the end, a chain paused by its budget is resumed with a higher cap (else it stays paused). */
  mayRaiseAtEnd: boolean;
  steps: Step[];
}

const WEIGHTS: Array<[ActionKind, number]> = [
  ['pause', 3],
  ['resume', 3],
  ['resume-raise', 1],
  ['cancel', 1.5],
  ['redo', 1.5],
  ['redo-prompt', 1],
  ['append', 1],
];

function pick(rand: () => number): ActionKind {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [kind, w] of WEIGHTS) if ((x -= w) < 0) return kind;
  return 'pause';
}

/** One chain's sequence: `steps` actions after its start, each after a short random delay. */
export function planSequence(seed: number, spec: { steps: number; segments: number; price: number }): Plan {
  const rand = seededRandom(seed);
  const cap = rand() < 0.5 ? spec.price * (spec.segments - 1 + Math.floor(rand() * 3)) : undefined;
  const mayRaiseAtEnd = rand() < 0.7;
  const steps: Step[] = [];
  for (let i = 0; i < spec.steps; i++) {
    // After a cancel, mostly a resume: the resume of a cancelled chain is what the drill is after.
    const afterCancel = steps[i - 1]?.kind === 'cancel' && rand() < 0.7;
    steps.push({
      kind: afterCancel ? 'resume' : pick(rand),
      delayMs: 150 + Math.floor(rand() * 1_350),
      u: rand(),
    });
  }
  return { seed, segments: spec.segments, ...(cap !== undefined ? { cap } : {}), mayRaiseAtEnd, steps };
}

export const describePlan = (p: Plan) =>
  `seed ${p.seed}: start ${p.segments} segments${p.cap !== undefined ? ` --max-credits ${p.cap}` : ''}` +
  p.steps.map((s) => ` · +${s.delayMs}ms ${s.kind}(${s.u.toFixed(2)})`).join('') +
  (p.mayRaiseAtEnd ? ' · end: raise a budget pause' : ' · end: leave a budget pause');

/**
 * A prompt naming its chain, position and generation: `[ID #POS gGEN]`. The position never changes (a
 * redo keeps it), the generation counts the new prompts a redo gave that position.
 */
export const markedPrompt = (id: string, position: number, generation: number) =>
  `[${id} #${position} g${generation}] a lighthouse at dusk, the camera drifting closer`;

export function parseMarker(
  prompt: string,
): { id: string; position: number; generation: number } | undefined {
  const m = /^\[(\S+) #(\d+) g(\d+)\]/.exec(prompt);
  return m ? { id: m[1]!, position: Number(m[2]), generation: Number(m[3]) } : undefined;
}
