import {createContext, useContext} from 'react';
import {createTheme, type Theme} from './theme.js';

export const ThemeContext = createContext<Theme>(createTheme(0));

export function useTheme(): Theme {
	return useContext(ThemeContext);
}
