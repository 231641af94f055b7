import {Box, Text} from 'ink';
import {attentionGrid, cursorAttentionRow} from '../../session/selectors.js';
import type {SessionState} from '../../session/state.js';
import {paint} from '../paint.js';
import {fit, visibleToken} from '../text.js';
import type {Style, Theme} from '../theme.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

const LABEL = 11;

/** Query x key heatmap of the selected layer and head (or the average), cursor row emphasised. */
export function AttentionGrid({state, width, height, focused}: {state: SessionState; width: number; height: number; focused: boolean}) {
	const theme = useTheme();
	const valueLines = state.showRowValues ? 2 : 0;
	const rows = Math.max(1, height - 3 - valueLines);
	const cols = Math.max(1, Math.floor((width - LABEL) / 2));
	const grid = attentionGrid(state, rows, cols);
	const head = grid.head === 'average' ? 'heads avg' : `head ${grid.head}`;
	// When the sequence is longer than the grid: which queries (rows) × keys (columns) are shown.
	const right = grid.clipped ? `${grid.queries.start}-${grid.queries.end - 1}×${grid.keys.start}-${grid.keys.end - 1} of ${state.positions.length}` : '';
	const keys = Array.from({length: grid.keys.end - grid.keys.start}, (_, j) => grid.keys.start + j);
	const cursor = state.cursor.token;
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title={`Attention L${grid.layer} ${head}`} focused={focused} width={width} right={right} />
			<Text {...theme.muted}>{' '.repeat(LABEL) + positionRuler(keys)}</Text>
			<Text>{' '.repeat(LABEL) + keys.map(k => paint(k === cursor ? theme.cursor : {}, [...visibleToken(state.positions[k]!.text)].slice(0, 2).join('').padEnd(2))).join('')}</Text>
			{grid.values.map((row, i) => {
				const q = grid.queries.start + i;
				const isCursor = q === cursor;
				const label = `${isCursor ? '▶' : ' '}${String(q).padStart(3)} ${fit(visibleToken(state.positions[q]!.text), LABEL - 6)} `;
				return <Text key={q}>{paint(isCursor ? theme.cursor : {}, label) + heatRow(theme, row, isCursor)}</Text>;
			})}
			{state.showRowValues ? <RowValues values={cursorAttentionRow(state)} width={width} from={grid.keys.start} /> : null}
		</Box>
	);
}

/** Key positions every 5 columns (2 characters a column), so multi-digit numbers stay readable. */
function positionRuler(keys: number[]): string {
	const chars = Array.from({length: keys.length * 2}, () => ' ');
	let free = 0;
	keys.forEach((k, j) => {
		const label = String(k);
		if (k % 5 !== 0 || j * 2 < free || j * 2 + label.length > chars.length) return;
		for (let i = 0; i < label.length; i++) chars[j * 2 + i] = label[i]!;
		free = j * 2 + label.length + 1;
	});
	return chars.join('');
}

/** One painted string per row; neighbouring cells of the same colour share one escape sequence (less for Ink to measure). */
function heatRow(theme: Theme, row: Array<number | undefined>, bold: boolean): string {
	let out = '';
	let runStyle: Style | undefined;
	let runKey = '';
	let runText = '';
	const flush = () => {
		if (runText) out += runStyle ? paint(runStyle, runText) : runText;
		runText = '';
	};
	for (const value of row) {
		const cell = value === undefined ? {text: '  ', style: undefined} : theme.heat(value);
		const style = cell.style && bold ? {...cell.style, bold: true} : cell.style;
		const key = style ? JSON.stringify(style) : '';
		if (key !== runKey) {
			flush();
			runKey = key;
			runStyle = style;
		}
		runText += cell.text;
	}
	flush();
	return out;
}

/** The exact numbers of the cursor row (two lines, from the grid's first key). */
function RowValues({values, width, from}: {values: number[]; width: number; from: number}) {
	const entries = values.slice(from).map((v, i) => `${from + i}:${v.toFixed(3).replace(/^0/, '')}`);
	const lines: string[] = [''];
	for (const entry of entries) {
		if ((lines.at(-1)! + ' ' + entry).length > width) {
			if (lines.length === 2) break;
			lines.push('');
		}
		lines[lines.length - 1] = lines.at(-1) ? `${lines.at(-1)} ${entry}` : entry;
	}
	return (
		<Box flexDirection="column">
			{[0, 1].map(i => (
				<Text key={i}>{fit(lines[i] ?? '', width)}</Text>
			))}
		</Box>
	);
}
