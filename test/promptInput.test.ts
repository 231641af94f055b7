import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {firstInvalidUtf8} from '../source/cli/promptInput.js';
import {seededRandom} from '../source/model/sampling.js';

describe('firstInvalidUtf8', () => {
	it('agrees with the WHATWG decoder on what is valid, over random byte strings', () => {
		const random = seededRandom(42);
		const fatal = new TextDecoder('utf-8', {fatal: true});
		// Bias towards bytes that form multi-byte sequences, so both outcomes occur often.
		const pool = [0x41, 0x20, 0x80, 0x9f, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xc0, 0xa0];
		let valid = 0;
		for (let n = 0; n < 5000; n++) {
			const bytes = Uint8Array.from({length: 1 + Math.floor(random() * 8)}, () => pool[Math.floor(random() * pool.length)]!);
			let decodes = true;
			try {
				fatal.decode(bytes);
			} catch {
				decodes = false;
			}
			const offset = firstInvalidUtf8(bytes);
			assert.equal(offset === -1, decodes, `bytes ${Array.from(bytes, b => b.toString(16)).join(' ')}`);
			if (!decodes) assert.doesNotThrow(() => fatal.decode(bytes.subarray(0, offset)), 'everything before the offset is valid');
			if (decodes) valid++;
		}
		assert.ok(valid > 50 && valid < 4950, `both outcomes exercised (${valid} valid)`);
	});

	it('points at the lead byte of a broken sequence', () => {
		assert.equal(firstInvalidUtf8(Buffer.from([0x54, 0x68, 0x65, 0x20, 0xc3, 0x28])), 4);
		assert.equal(firstInvalidUtf8(Buffer.from('naïve ✓', 'utf8')), -1);
		assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'a UTF-16 surrogate is not UTF-8');
		assert.equal(firstInvalidUtf8(Buffer.from([0xe0, 0x80, 0x80])), 0, 'overlong');
	});
});
