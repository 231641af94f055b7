/**
 * Breakpoints stop a `continue` after the token that meets them. Syntax (one per entry):
 *
 *   p < 0.2            the chosen token's probability is below 0.2
 *   top1 < 0.3         the most likely candidate's probability is below 0.3 (the model is unsure)
 *   entropy > 3        the next-token distribution's entropy (nats) is above 3
 *   /regex/flags       the generated token's text matches the regular expression
 *   finding            any finding from the findings pane
 *   finding:repetition a finding of that category
 */
import type {Finding} from '../analysis/findings.js';

export type Breakpoint =
	| {kind: 'probability'; below: number; source: string}
	| {kind: 'top1'; below: number; source: string}
	| {kind: 'entropy'; above: number; source: string}
	| {kind: 'match'; pattern: RegExp; source: string}
	| {kind: 'finding'; category?: string; source: string};

export class BreakpointSyntaxError extends Error {}

const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;

export function parseBreakpoint(text: string): Breakpoint {
	const source = text.trim();
	let m: RegExpExecArray | null;
	if ((m = new RegExp(String.raw`^(?:p|prob|probability)\s*<\s*${NUMBER}$`, 'i').exec(source))) {
		return {kind: 'probability', below: probabilityValue(m[1]!), source};
	}
	if ((m = new RegExp(String.raw`^top-?1\s*<\s*${NUMBER}$`, 'i').exec(source))) {
		return {kind: 'top1', below: probabilityValue(m[1]!), source};
	}
	if ((m = new RegExp(String.raw`^(?:entropy|h)\s*>\s*${NUMBER}$`, 'i').exec(source))) {
		return {kind: 'entropy', above: Number(m[1]), source};
	}
	if ((m = /^\/(.+)\/([a-z]*)$/.exec(source))) {
		try {
			return {kind: 'match', pattern: new RegExp(m[1]!, m[2]!.replace('g', '')), source};
		} catch (error) {
			throw new BreakpointSyntaxError(`bad regular expression ${source}: ${(error as Error).message}`);
		}
	}
	if ((m = /^finding(?::\s*([\w-]+))?$/i.exec(source))) {
		return {kind: 'finding', category: m[1]?.toLowerCase(), source};
	}
	throw new BreakpointSyntaxError(`not a breakpoint: "${source}" (try p < 0.2, top1 < 0.3, entropy > 3, /regex/, finding:repetition)`);
}

function probabilityValue(text: string): number {
	const value = Number(text);
	if (!(value >= 0 && value <= 1)) throw new BreakpointSyntaxError(`a probability is between 0 and 1, got ${text}`);
	return value;
}

export interface StepFacts {
	/** The generated token. */
	text: string;
	probability: number;
	/** The distribution the token was drawn from. */
	top1: number;
	entropy: number;
	/** Findings that appeared with this token. */
	newFindings: Finding[];
}

/** The breakpoint that fires for this step, if any (the first in the list). */
export function firedBreakpoint(breakpoints: readonly Breakpoint[], facts: StepFacts): Breakpoint | undefined {
	return breakpoints.find(bp => {
		switch (bp.kind) {
			case 'probability':
				return facts.probability < bp.below;
			case 'top1':
				return facts.top1 < bp.below;
			case 'entropy':
				return facts.entropy > bp.above;
			case 'match':
				return bp.pattern.test(facts.text);
			case 'finding':
				return facts.newFindings.some(f => bp.category === undefined || f.category === bp.category);
		}
	});
}
