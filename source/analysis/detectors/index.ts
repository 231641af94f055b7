/** The detectors the findings pane runs after every token, with their configurable thresholds. */
import type {Detector} from '../findings.js';
import {confidence, CONFIDENCE_DEFAULTS, type ConfidenceOptions} from './confidence.js';
import {degeneration, DEGENERATION_DEFAULTS, type DegenerationOptions} from './degeneration.js';
import {ending} from './ending.js';
import {grammar} from './grammar.js';
import {promptHandling, PROMPT_DEFAULTS, type PromptOptions} from './promptHandling.js';
import {referenceChecks} from './reference.js';

export interface DetectorOptions {
	degeneration: DegenerationOptions;
	confidence: ConfidenceOptions;
	prompt: PromptOptions;
}

export const DETECTOR_DEFAULTS: DetectorOptions = {degeneration: DEGENERATION_DEFAULTS, confidence: CONFIDENCE_DEFAULTS, prompt: PROMPT_DEFAULTS};

export function defaultDetectors(options: DetectorOptions = DETECTOR_DEFAULTS): Detector[] {
	return [degeneration(options.degeneration), confidence(options.confidence), ending(), promptHandling(options.prompt), grammar(), referenceChecks()];
}

/** The defaults with the two thresholds users most often tune (the CLI's --low-probability and --high-entropy). */
export function detectorOptions(overrides: {lowProbability?: number; highEntropy?: number}): DetectorOptions {
	return {
		...DETECTOR_DEFAULTS,
		confidence: {
			...DETECTOR_DEFAULTS.confidence,
			...(overrides.lowProbability === undefined ? {} : {lowProbability: overrides.lowProbability}),
			...(overrides.highEntropy === undefined ? {} : {highEntropy: overrides.highEntropy}),
		},
	};
}
