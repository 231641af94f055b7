import {Box, Text} from 'ink';
import TextInput from 'ink-text-input';
import {useState} from 'react';
import {fit} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** A one-line editor overlay (prompt, breakpoint): Enter submits, Esc cancels. */
export function TextPrompt(props: {title: string; initial: string; hints: string[]; width: number; onSubmit: (value: string) => void}) {
	const theme = useTheme();
	const [value, setValue] = useState(props.initial);
	return (
		<Box flexDirection="column" width={props.width}>
			<PaneTitle title={props.title} focused width={props.width} />
			<Box>
				<Text {...theme.accent}>{'> '}</Text>
				<TextInput value={value} onChange={setValue} onSubmit={props.onSubmit} />
			</Box>
			{props.hints.map((hint, i) => (
				<Text key={i} {...theme.muted}>
					{fit(hint, props.width)}
				</Text>
			))}
		</Box>
	);
}
