import {Text} from 'ink';
import {useTheme} from '../themeContext.js';
import {fit} from '../text.js';

/** A pane's one-line title: a marker and bold accent when the pane has focus. */
export function PaneTitle({title, focused, width, right}: {title: string; focused: boolean; width: number; right?: string}) {
	const theme = useTheme();
	const tail = right ? ` ${right} ─` : '';
	// Keep the right-hand note whole; shorten the title if both do not fit.
	const room = Math.max(4, width - [...tail].length - 3);
	const left = `${focused ? '▶' : '─'} ${fit(title, Math.min([...title].length, room))} `;
	const fill = Math.max(0, width - [...left].length - [...tail].length);
	return <Text {...theme.title(focused)}>{fit(left + '─'.repeat(fill) + tail, width)}</Text>;
}
