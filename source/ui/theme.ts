/**
 * One theme for the whole screen: semantic colours mapped to what the terminal can show.
 * Level 0 = no colour (NO_COLOR, dumb terminals, pipes), 1 = 16 colours, 2 = 256, 3 = truecolor.
 * Without colour the heatmap still reads through shade glyphs and the cursor through inverse video.
 */

export type ColorLevel = 0 | 1 | 2 | 3;

export function detectColorLevel(env: NodeJS.ProcessEnv, isTTY: boolean): ColorLevel {
	if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return 0;
	const force = env['FORCE_COLOR'];
	if (force !== undefined) {
		if (force === '' || force === 'true') return 1;
		if (force === 'false') return 0;
		const n = Number.parseInt(force, 10);
		if (Number.isFinite(n)) return Math.max(0, Math.min(3, n)) as ColorLevel;
	}
	if (!isTTY) return 0;
	const term = env['TERM'] ?? '';
	if (term === 'dumb') return 0;
	const colorterm = (env['COLORTERM'] ?? '').toLowerCase();
	if (colorterm === 'truecolor' || colorterm === '24bit') return 3;
	if (/-256(color)?$/i.test(term)) return 2;
	if (/^(screen|tmux|xterm|vt100|vt220|rxvt|linux|cygwin|ansi)|color/i.test(term)) return 1;
	return colorterm ? 1 : 0;
}

/** Props for Ink's <Text>. */
export interface Style {
	color?: string;
	backgroundColor?: string;
	bold?: boolean;
	dimColor?: boolean;
	inverse?: boolean;
	underline?: boolean;
}

const SHADES = [' ', '░', '▒', '▓', '█'];

export interface HeatCell {
	text: string;
	style: Style;
}

export interface Theme {
	level: ColorLevel;
	title(focused: boolean): Style;
	muted: Style;
	accent: Style;
	warning: Style;
	cursor: Style;
	/** A heatmap cell (two characters wide) for a value in [0, 1]. */
	heat(value: number): HeatCell;
	/** Colour of a token shaded by the probability the model gave it. */
	probability(p: number | undefined): Style;
	bar: Style;
}

function rgbHex(r: number, g: number, b: number): string {
	return `#${[r, g, b].map(v => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

/** Dark blue -> teal -> yellow: readable on dark and light backgrounds, monotone in brightness. */
function heatRgb(t: number): [number, number, number] {
	const stops: Array<[number, number, number]> = [
		[30, 34, 70],
		[32, 120, 140],
		[90, 190, 110],
		[250, 230, 60],
	];
	const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
	const i = Math.min(stops.length - 2, Math.floor(x));
	const f = x - i;
	const a = stops[i]!;
	const b = stops[i + 1]!;
	return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Nearest xterm-256 colour cube entry. */
function ansi256([r, g, b]: [number, number, number]): string {
	const q = (v: number) => Math.round((v / 255) * 5);
	return `ansi256(${16 + 36 * q(r) + 6 * q(g) + q(b)})`;
}

function shade(value: number): string {
	const i = value <= 0 ? 0 : Math.min(SHADES.length - 1, 1 + Math.floor(Math.max(0, Math.min(0.9999, value)) * (SHADES.length - 1)));
	return SHADES[i]!;
}

export function createTheme(level: ColorLevel): Theme {
	const color = (c16: string, rgb: [number, number, number]): Style =>
		level === 0 ? {} : level === 1 ? {color: c16} : level === 2 ? {color: ansi256(rgb)} : {color: rgbHex(...rgb)};
	return {
		level,
		title: focused => (focused ? {bold: true, ...color('cyan', [90, 200, 230])} : {bold: level === 0 ? false : false, ...color('gray', [140, 140, 140])}),
		muted: level === 0 ? {} : {dimColor: true},
		accent: color('cyan', [90, 200, 230]),
		warning: level === 0 ? {bold: true} : color('yellow', [240, 200, 60]),
		cursor: {inverse: true},
		bar: color('cyan', [90, 200, 230]),
		heat(raw) {
			// 32 levels are about what the eye tells apart in a 2-cell block, and keep painted cells
			// cacheable and neighbouring cells often identical (cheaper frames).
			const value = Math.round(Math.max(0, Math.min(1, raw)) * 32) / 32;
			if (level >= 2) {
				const rgb = heatRgb(value);
				return {text: value > 0.005 ? '██' : '··', style: level === 3 ? {color: rgbHex(...rgb)} : {color: ansi256(rgb)}};
			}
			const glyph = shade(value);
			return {text: glyph === ' ' ? '··' : glyph + glyph, style: level === 1 ? {color: value > 0.5 ? 'yellow' : 'cyan'} : {}};
		},
		probability(p) {
			if (p === undefined) return {};
			if (level === 0) return p < 0.1 ? {underline: true} : {};
			if (level === 1) return {color: p < 0.1 ? 'red' : p < 0.4 ? 'yellow' : 'green'};
			// Red (unlikely) -> yellow -> green (confident).
			const t = Math.max(0, Math.min(1, p));
			const rgb: [number, number, number] = t < 0.5 ? [230, 80 + 300 * t, 70] : [230 - 340 * (t - 0.5), 230, 70 + 60 * (t - 0.5)];
			return level === 3 ? {color: rgbHex(...rgb)} : {color: ansi256(rgb)};
		},
	};
}
