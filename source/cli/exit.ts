/** How errors end the process: user errors in one line with code 2, internal errors with code 1. */
import {firstLine, isUserError} from '../errors.js';

export function reportError(error: unknown, verbose: boolean): number {
	if (isUserError(error)) {
		process.stderr.write(`lmscope: ${error.message}\n`);
		return 2;
	}
	process.stderr.write(`lmscope: internal error: ${firstLine(error)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
	if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
	return 1;
}
