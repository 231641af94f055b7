/** Timing that survives a noisy machine: interleave the two variants and compare medians. */

export interface Comparison {
	baseMs: number;
	otherMs: number;
	ratio: number;
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
	const start = performance.now();
	await fn();
	return performance.now() - start;
}

/** Run base and other alternately `reps` times (after `warmup` rounds); medians and their ratio. */
export async function compare(base: () => Promise<unknown>, other: () => Promise<unknown>, reps: number, warmup = 2): Promise<Comparison> {
	for (let i = 0; i < warmup; i++) {
		await base();
		await other();
	}
	const a: number[] = [];
	const b: number[] = [];
	for (let i = 0; i < reps; i++) {
		// Alternate which goes first so neither always runs on a warmer cache.
		if (i % 2) {
			a.push(await time(base));
			b.push(await time(other));
		} else {
			b.push(await time(other));
			a.push(await time(base));
		}
	}
	const baseMs = median(a);
	const otherMs = median(b);
	return {baseMs, otherMs, ratio: otherMs / baseMs};
}
