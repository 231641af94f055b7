/**
 * A problem with what the user gave us (a path, a flag, a prompt, a model file). The CLI prints
 * `lmscope: <message>` on one line and exits with code 2, never a stack trace. The message names
 * the file or argument and says what to do about it.
 */
export class UserError extends Error {
	readonly exitCode = 2;
	constructor(message: string) {
		super(message);
		this.name = 'UserError';
	}
}

export function isUserError(error: unknown): error is UserError {
	return error instanceof UserError;
}

/** The first line of an unknown error's message, for wrapping library errors into a UserError. */
export function firstLine(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0]!.trim();
}
