/**
 * Style a string with ANSI codes directly (chalk, at the level the theme chose). Panes with many
 * small styled pieces (the heatmap, the token strip) build each line as one painted string: one
 * Ink node per line instead of one per cell keeps a frame within a few milliseconds.
 */
import chalk, {type ChalkInstance} from 'chalk';
import type {Style} from './theme.js';

function colored(base: ChalkInstance, color: string, background: boolean): ChalkInstance {
	const ansi = /^ansi256\((\d+)\)$/.exec(color);
	if (ansi) return background ? base.bgAnsi256(Number(ansi[1])) : base.ansi256(Number(ansi[1]));
	if (color.startsWith('#')) return background ? base.bgHex(color) : base.hex(color);
	const name = background ? `bg${color[0]!.toUpperCase()}${color.slice(1)}` : color;
	const styled = (base as unknown as Record<string, ChalkInstance | undefined>)[name];
	return styled ?? base;
}

// Frames repeat the same few styled pieces (heat cells, tokens): remember them. Bounded, so a
// long session cannot grow it without limit.
const cache = new Map<string, string>();
const CACHE_LIMIT = 20_000;

export function paint(style: Style, text: string): string {
	const key = `${style.color ?? ''}|${style.backgroundColor ?? ''}|${style.bold ? 1 : 0}${style.dimColor ? 1 : 0}${style.underline ? 1 : 0}${style.inverse ? 1 : 0}|${chalk.level}|${text}`;
	let painted = cache.get(key);
	if (painted === undefined) {
		painted = paintUncached(style, text);
		if (cache.size >= CACHE_LIMIT) cache.clear();
		cache.set(key, painted);
	}
	return painted;
}

function paintUncached(style: Style, text: string): string {
	let c: ChalkInstance = chalk;
	let touched = false;
	if (style.color) [c, touched] = [colored(c, style.color, false), true];
	if (style.backgroundColor) [c, touched] = [colored(c, style.backgroundColor, true), true];
	if (style.bold) [c, touched] = [c.bold, true];
	if (style.dimColor) [c, touched] = [c.dim, true];
	if (style.underline) [c, touched] = [c.underline, true];
	if (style.inverse) [c, touched] = [c.inverse, true];
	return touched ? c(text) : text;
}
