import {Text} from 'ink';
import {useTheme} from '../themeContext.js';
import {fit} from '../text.js';

/** A pane's one-line title: a marker and bold accent when the pane has focus. */
export function PaneTitle({title, focused, width, right}: {title: string; focused: boolean; width: number; right?: string}) {
	const theme = useTheme();
	const left = `${focused ? '▶' : '─'} ${title} `;
	const tail = right ? ` ${right} ─` : '';
	const fill = Math.max(0, width - [...left].length - [...tail].length);
	return <Text {...theme.title(focused)}>{fit(left + '─'.repeat(fill) + tail, width)}</Text>;
}
