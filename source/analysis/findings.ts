/**
 * Findings: things that look wrong in generated text (a repetition loop, a low-confidence span,
 * an unsupported claim ...), each with a category, a severity, the token span it covers and a
 * one-line explanation. Detectors run after every generated token; the session shows what they
 * emit in the findings pane and can break on them. The detectors themselves arrive with the
 * output-debugging work; this module is the contract they plug into.
 */

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
	category: string;
	severity: Severity;
	/** Token positions [start, end) the finding covers. */
	start: number;
	end: number;
	explanation: string;
}

export interface DetectorInput {
	/** Every token so far. */
	tokens: ReadonlyArray<{id: number; text: string; probability?: number; generated: boolean}>;
	promptLength: number;
}

/** A detector looks at the whole sequence and returns every finding it sees in it. */
export type Detector = (input: DetectorInput) => Finding[];

export function runDetectors(detectors: readonly Detector[], input: DetectorInput): Finding[] {
	return detectors.flatMap(detect => detect(input));
}
