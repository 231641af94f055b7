/**
 * Krippendorff's alpha: agreement among any number of raters, with missing ratings, for nominal,
 * ordinal, interval or ratio data (Krippendorff, "Computing Krippendorff's Alpha-Reliability",
 * 2011), computed through the coincidence matrix. alpha = 1 - D_o / D_e: 1 is perfect agreement,
 * 0 is agreement at chance level. Written here (about 40 lines) because the npm packages for it are
 * unmaintained and untested; checked against the paper's worked example.
 */

export type AlphaLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/** units[u] = the values the raters gave unit u (missing ratings simply absent). */
export function krippendorffAlpha(units: number[][], level: AlphaLevel): number | undefined {
	const pairable = units.filter(u => u.length >= 2);
	const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
	if (values.length === 0) return undefined;
	const index = new Map(values.map((v, i) => [v, i]));
	const k = values.length;
	const o = Array.from({length: k}, () => new Array<number>(k).fill(0));
	for (const unit of pairable) {
		const m = unit.length;
		for (let a = 0; a < m; a++) {
			for (let b = 0; b < m; b++) {
				if (a !== b) o[index.get(unit[a]!)!]![index.get(unit[b]!)!]! += 1 / (m - 1);
			}
		}
	}
	const nc = o.map(row => row.reduce((s, x) => s + x, 0));
	const n = nc.reduce((s, x) => s + x, 0);
	const delta2 = (c: number, e: number): number => {
		if (c === e) return 0;
		switch (level) {
			case 'nominal':
				return 1;
			case 'interval':
				return (values[c]! - values[e]!) ** 2;
			case 'ratio':
				return ((values[c]! - values[e]!) / (values[c]! + values[e]!)) ** 2;
			case 'ordinal': {
				const [lo, hi] = c < e ? [c, e] : [e, c];
				let sum = 0;
				for (let g = lo; g <= hi; g++) sum += nc[g]!;
				return (sum - (nc[lo]! + nc[hi]!) / 2) ** 2;
			}
		}
	};
	let observed = 0;
	let expected = 0;
	for (let c = 0; c < k; c++) {
		for (let e = 0; e < k; e++) {
			const d = delta2(c, e);
			observed += o[c]![e]! * d;
			expected += nc[c]! * nc[e]! * d;
		}
	}
	if (expected === 0) return undefined; // every rating the same value: agreement is undefined
	return 1 - ((n - 1) * observed) / expected;
}
