import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {krippendorffAlpha} from '../source/analysis/agreement.js';

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example C:
// 4 observers, 12 units, missing values; published alphas: nominal .743, ordinal .815,
// interval .849, ratio .797.
const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null];
const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3];
const C = [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null];
const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null];
const units = A.map((_, u) => [A[u], B[u], C[u], D[u]].filter((v): v is number => v !== null));

describe("Krippendorff's alpha", () => {
	for (const [level, published] of [['nominal', 0.743], ['ordinal', 0.815], ['interval', 0.849], ['ratio', 0.797]] as const) {
		it(`matches the published ${level} value ${published}`, () => {
			const alpha = krippendorffAlpha(units, level)!;
			assert.ok(Math.abs(alpha - published) < 0.0005, `${level}: ${alpha}`);
		});
	}
	it('is 1 for perfect agreement and undefined with no variation or no pairable unit', () => {
		assert.equal(krippendorffAlpha([[1, 1], [3, 3], [5, 5]], 'ordinal'), 1);
		assert.equal(krippendorffAlpha([[2, 2], [2, 2]], 'ordinal'), undefined);
		assert.equal(krippendorffAlpha([[2], [4]], 'ordinal'), undefined);
	});
});
