/** Presentation helpers: visible whitespace, fixed-width cells, sparkline glyphs, token-strip layout. */

/** A token with its whitespace made visible: space ·, newline ⏎, tab ⇥, other control characters as \xNN. */
export function visibleToken(text: string): string {
	let out = '';
	for (const ch of text) {
		if (ch === ' ') out += '·';
		else if (ch === '\n') out += '⏎';
		else if (ch === '\r') out += '␍';
		else if (ch === '\t') out += '⇥';
		else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
		else out += ch;
	}
	return out || '∅';
}

/** Cut or pad to exactly `width` columns (ASCII-width assumption for token text, which is what we show). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	const chars = [...text];
	if (chars.length > width) return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
	const pad = ' '.repeat(width - chars.length);
	return align === 'left' ? text + pad : pad + text;
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** One glyph per value, scaled between the values' min and max (or the given range). */
export function sparkline(values: ArrayLike<number>, range?: {min: number; max: number}): string {
	const list = Array.from(values);
	if (list.length === 0) return '';
	const min = range?.min ?? Math.min(...list);
	const max = range?.max ?? Math.max(...list);
	const span = max - min;
	return list.map(v => SPARKS[span > 0 ? Math.round(((v - min) / span) * (SPARKS.length - 1)) : 0]).join('');
}

/** Shrink a long vector to `width` values, keeping each bucket's largest magnitude (so spikes survive). */
export function bucketMaxAbs(values: ArrayLike<number>, width: number): number[] {
	if (values.length <= width) return Array.from(values);
	const out: number[] = [];
	for (let b = 0; b < width; b++) {
		const lo = Math.floor((b * values.length) / width);
		const hi = Math.floor(((b + 1) * values.length) / width);
		let best = 0;
		for (let i = lo; i < hi; i++) if (Math.abs(values[i]!) > Math.abs(best)) best = values[i]!;
		out.push(best);
	}
	return out;
}

/**
 * Which tokens the strip shows: a run around the cursor that fits `lines` lines of `width`
 * columns, tokens separated by one space. Returns the lines as lists of token indices.
 */
export function stripLayout(widths: number[], cursor: number, width: number, lines: number): number[][] {
	const cell = (i: number) => Math.min(widths[i]!, width) + 1;
	// Grow a window around the cursor while its total (a rough measure) fits.
	let lo = cursor;
	let hi = cursor + 1;
	let used = cell(cursor);
	const budget = width * lines;
	for (let grew = true; grew; ) {
		grew = false;
		if (hi < widths.length && used + cell(hi) <= budget) {
			used += cell(hi++);
			grew = true;
		}
		if (lo > 0 && used + cell(lo - 1) <= budget) {
			used += cell(--lo);
			grew = true;
		}
	}
	// Wrap into lines; wrapping wastes space, so drop tokens from the end farther from the cursor.
	for (;;) {
		const out: number[][] = [[]];
		let col = 0;
		for (let i = lo; i < hi; i++) {
			if (col + cell(i) > width + 1 && out.at(-1)!.length > 0) {
				out.push([]);
				col = 0;
			}
			out.at(-1)!.push(i);
			col += cell(i);
		}
		if (out.length <= lines || hi - lo <= 1) return out.slice(0, lines);
		if (hi - 1 - cursor > cursor - lo) hi--;
		else lo++;
	}
}
