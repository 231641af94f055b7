/**
 * Confidence: where the model was unsure of what it wrote.
 * - low-confidence: at least `minSpan` consecutive generated tokens each chosen with probability
 *   below `lowProbability` (default 0.05: the model gave each less than a 1-in-20 chance, which a
 *   sampler reaches often only when the distribution is flat or the text goes off course);
 * - high-entropy: at least `minSpan` consecutive tokens drawn from distributions with entropy above
 *   `highEntropy` nats (default 5: as uncertain as a uniform choice among e^5 ~ 148 tokens; the
 *   default model's median is ~3 nats on its own text).
 */
import type {Detector, DetectorToken, Finding} from '../findings.js';

export interface ConfidenceOptions {
	lowProbability: number;
	highEntropy: number;
	minSpan: number;
}

export const CONFIDENCE_DEFAULTS: ConfidenceOptions = {lowProbability: 0.05, highEntropy: 5, minSpan: 2};

export function confidence(options: ConfidenceOptions = CONFIDENCE_DEFAULTS): Detector {
	return input => {
		const findings: Finding[] = [];
		const runs = (test: (t: DetectorToken) => boolean, make: (start: number, end: number) => Finding) => {
			let start = -1;
			for (let i = input.promptLength; i <= input.tokens.length; i++) {
				const token = input.tokens[i];
				if (token && token.id !== input.eosTokenId && test(token)) {
					if (start < 0) start = i;
				} else {
					if (start >= 0 && i - start >= options.minSpan) findings.push(make(start, i));
					start = -1;
				}
			}
		};
		const text = (start: number, end: number) => JSON.stringify(input.tokens.slice(start, end).map(t => t.text).join('').slice(0, 30));
		runs(
			t => t.probability !== undefined && t.probability < options.lowProbability,
			(start, end) => {
				const lowest = Math.min(...input.tokens.slice(start, end).map(t => t.probability!));
				return {group: 'confidence', category: 'low-confidence', severity: 'warning', start, end, explanation: `${end - start} tokens each below p=${options.lowProbability} (lowest ${lowest.toFixed(3)}): ${text(start, end)}`};
			},
		);
		runs(
			t => t.entropy !== undefined && t.entropy > options.highEntropy,
			(start, end) => {
				const highest = Math.max(...input.tokens.slice(start, end).map(t => t.entropy!));
				return {group: 'confidence', category: 'high-entropy', severity: 'info', start, end, explanation: `${end - start} tokens drawn at entropy above ${options.highEntropy} nats (highest ${highest.toFixed(2)}): ${text(start, end)}`};
			},
		);
		return findings;
	};
}
