import {Box, Text, useInput, useStdin} from 'ink';
import TextInput from 'ink-text-input';
import {useState} from 'react';
import type {RatingValues} from '../../session/controller.js';
import {AXES, type Rating} from '../../ratings/ratingStore.js';
import {fit} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

const FIELDS = [...AXES, 'note'] as const;

/**
 * Rate the current output: fluency, grammar and logic from 1 to 5 (the three axes of manual
 * review) and a note. ↑/↓ or Tab move between fields, 1-5 set an axis, Enter saves, Esc cancels.
 */
export function RatingForm(props: {rater: string; earlier: readonly Rating[]; width: number; height: number; onSubmit: (values: RatingValues) => void}) {
	const theme = useTheme();
	const {isRawModeSupported} = useStdin();
	const [field, setField] = useState(0);
	const [scores, setScores] = useState<Record<string, number | undefined>>({});
	const [note, setNote] = useState('');
	const [problem, setProblem] = useState('');
	const submit = () => {
		const missing = AXES.filter(axis => scores[axis] === undefined);
		if (missing.length > 0) {
			setProblem(`rate ${missing.join(', ')} first (1-5)`);
			return;
		}
		props.onSubmit({fluency: scores['fluency']!, grammar: scores['grammar']!, logic: scores['logic']!, note});
	};
	useInput(
		(input, key) => {
			if (key.upArrow || (key.tab && key.shift)) setField(f => (f + FIELDS.length - 1) % FIELDS.length);
			else if (key.downArrow || key.tab) setField(f => (f + 1) % FIELDS.length);
			else if (key.return && FIELDS[field] !== 'note') submit();
			else if (FIELDS[field] !== 'note' && /^[1-5]$/.test(input)) {
				setScores(s => ({...s, [FIELDS[field]!]: Number(input)}));
				setField(f => f + 1);
				setProblem('');
			}
		},
		{isActive: isRawModeSupported === true},
	);
	const earlier = props.earlier.slice(-Math.max(0, props.height - 9));
	return (
		<Box flexDirection="column" width={props.width}>
			<PaneTitle title={`Rate this output · rater ${props.rater}`} focused width={props.width} />
			{AXES.map((axis, i) => (
				<Text key={axis}>
					<Text {...(field === i ? theme.cursor : {})}>{fit(`${axis}`, 10)}</Text>
					{' '}
					{[1, 2, 3, 4, 5].map(v => (scores[axis] === v ? `[${v}]` : ` ${v} `)).join('')}
				</Text>
			))}
			<Box>
				<Text {...(field === 3 ? theme.cursor : {})}>{fit('note', 10)}</Text>
				<Text> </Text>
				<TextInput value={note} onChange={setNote} onSubmit={submit} focus={field === 3} />
			</Box>
			<Text {...theme.warning}>{fit(problem, props.width)}</Text>
			<Text {...theme.muted}>{fit('1-5 set the score · ↑↓ Tab move · Enter saves (fsync) · Esc cancels', props.width)}</Text>
			<Text {...theme.muted}>{fit(`earlier ratings of this prompt: ${props.earlier.length}`, props.width)}</Text>
			{earlier.map((r, i) => (
				<Text key={i} {...theme.muted}>
					{fit(`  ${r.time.slice(0, 16).replace('T', ' ')} ${r.rater}: fluency ${r.fluency} grammar ${r.grammar} logic ${r.logic}${r.note ? ` · ${r.note}` : ''}`, props.width)}
				</Text>
			))}
		</Box>
	);
}
