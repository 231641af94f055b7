/**
 * Findings: things that look wrong in generated text (a repetition loop, a low-confidence span,
 * an unsupported claim ...), each with a category, a severity, the token span it covers and a
 * one-line explanation. Detectors run after every generated token; the session shows what they
 * emit in the findings pane and can break on them. The detectors themselves arrive with the
 * output-debugging work; this module is the contract they plug into.
 */

export type Severity = 'info' | 'warning' | 'error';

/** The families of findings, for grouping in reports. */
export type FindingGroup = 'degeneration' | 'confidence' | 'ending' | 'prompt' | 'grammar' | 'reference';

export interface Finding {
	group: FindingGroup;
	/** What went wrong, e.g. `repetition`; breakpoints name it (`finding:repetition`). */
	category: string;
	severity: Severity;
	/** Token positions [start, end) the finding covers. */
	start: number;
	end: number;
	explanation: string;
}

export interface DetectorToken {
	id: number;
	text: string;
	/** The model's probability of this token (undefined for the first prompt token). */
	probability?: number;
	/** Entropy (nats) of the distribution this token was drawn from. */
	entropy?: number;
	generated: boolean;
}

export interface DetectorInput {
	/** Every token so far: the prompt, then what was generated. */
	tokens: readonly DetectorToken[];
	promptLength: number;
	/** Why generation stopped, once it has: end-of-sequence, the token limit, the context. */
	stop?: 'eos' | 'limit' | 'context';
	eosTokenId?: number;
	/** A reference or source text to check the output against (eval data, or pasted in). */
	reference?: string;
}

/** A detector looks at the whole sequence and returns every finding it sees in it. */
export type Detector = (input: DetectorInput) => Finding[];

export function runDetectors(detectors: readonly Detector[], input: DetectorInput): Finding[] {
	return detectors.flatMap(detect => detect(input));
}
