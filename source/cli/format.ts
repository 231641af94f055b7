/** Small text helpers for the plain-text reports. */

/** A token as the user should see it: quoted, with whitespace and control characters made visible. */
export function showToken(text: string): string {
	return JSON.stringify(text);
}

export function bar(fraction: number, width: number): string {
	const cells = Math.max(0, Math.min(width, fraction * width));
	const full = Math.floor(cells);
	const partial = ' ▏▎▍▌▋▊▉'[Math.round((cells - full) * 8)] ?? '';
	return ('█'.repeat(full) + (full < width ? partial : '')).padEnd(width);
}

export function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
